package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// LeaderMsg is a stored message as its stream's leader returned it.
type LeaderMsg struct {
	Subject  string    `json:"subject"`
	Sequence uint64    `json:"seq"`
	Time     time.Time `json:"time"`
	Data     []byte    `json:"data"`
}

// errCodeNoMessageFound is JetStream's "no message found" (JSNoMessageFoundErr).
const errCodeNoMessageFound = 10037

// LastFromLeader returns the last message of stream on subject (which may
// be a wildcard), as the stream's leader has it: $JS.API.STREAM.MSG.GET is
// answered by the leader only, while a direct get (AllowDirect) may be
// answered by a replica that lags behind. jetstream.ErrMsgNotFound when
// there is none.
func LastFromLeader(ctx context.Context, nc *nats.Conn, stream, subject string) (LeaderMsg, error) {
	req, err := json.Marshal(map[string]string{"last_by_subj": subject})
	if err != nil {
		return LeaderMsg{}, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	subj := "$JS.API.STREAM.MSG.GET." + stream
	resp, err := nc.RequestWithContext(ctx, subj, req)
	if err != nil {
		return LeaderMsg{}, fmt.Errorf("get last %s from the %s leader: %w", subject, stream, err)
	}
	msg, unavailable, err := decodeMsgGet(resp.Data)
	if unavailable {
		return lastFromLeaderPatiently(ctx, nc, subj, req)
	}
	if err != nil {
		return LeaderMsg{}, fmt.Errorf("get last %s from the %s leader: %w", subject, stream, err)
	}
	return msg, nil
}

// decodeMsgGet decodes a STREAM.MSG.GET answer; unavailable: it is a 503.
func decodeMsgGet(data []byte) (_ LeaderMsg, unavailable bool, _ error) {
	var body struct {
		Message *LeaderMsg          `json:"message"`
		Error   *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(data, &body); err != nil {
		return LeaderMsg{}, false, fmt.Errorf("decode: %w", err)
	}
	switch {
	case body.Error != nil && body.Error.Code == 503:
		return LeaderMsg{}, true, body.Error
	case body.Error != nil && body.Error.ErrorCode == errCodeNoMessageFound:
		return LeaderMsg{}, false, jetstream.ErrMsgNotFound
	case body.Error != nil:
		return LeaderMsg{}, false, body.Error
	case body.Message == nil:
		return LeaderMsg{}, false, errors.New("empty answer")
	}
	return *body.Message, false, nil
}

// lastFromLeaderPatiently asks again after a 503. Every server of the
// cluster sees the request, and one that believes the stream leaderless
// (one just restarted, say) answers at once with 503 while the leader
// answers too; so here a 503 counts only if no other answer follows it
// within leaderGrace.
func lastFromLeaderPatiently(ctx context.Context, nc *nats.Conn, subj string, req []byte) (LeaderMsg, error) {
	fail := func(err error) (LeaderMsg, error) {
		return LeaderMsg{}, fmt.Errorf("%s: %w", subj, err)
	}
	inbox := nc.NewRespInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		return fail(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := nc.PublishRequest(subj, inbox, req); err != nil {
		return fail(err)
	}
	var unavailableErr error
	wait := ctx
	for {
		resp, err := sub.NextMsgWithContext(wait)
		if err != nil {
			if unavailableErr != nil && ctx.Err() == nil {
				return fail(unavailableErr)
			}
			return fail(err)
		}
		if len(resp.Data) == 0 && resp.Header.Get("Status") == "503" {
			return fail(nats.ErrNoResponders)
		}
		msg, unavailable, err := decodeMsgGet(resp.Data)
		if unavailable {
			if unavailableErr == nil {
				unavailableErr = err
				var cancel context.CancelFunc
				wait, cancel = context.WithTimeout(ctx, leaderGrace)
				defer cancel()
			}
			continue
		}
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return LeaderMsg{}, err
		}
		if err != nil {
			return fail(err)
		}
		return msg, nil
	}
}

// leaderGrace is how long a "temporarily unavailable" answer waits for
// the leader's.
const leaderGrace = 250 * time.Millisecond

// activeWithin is how recently the stream's leader must have heard from a
// replica for Writable to count it (raft heartbeats come every second).
const activeWithin = 3 * time.Second

// Writable reports whether the event stream can take writes now, without
// retrying, for readiness checks: its leader answers and it hears from a
// majority of the replicas (itself included). A leader that lost its
// quorum keeps answering reads for a while before it steps down, but its
// writes cannot commit. ErrUnavailable when not.
func (s *Store) Writable(ctx context.Context) error {
	info, err := s.stream.Info(ctx)
	if err != nil {
		if attemptOutcome(err) != permanent {
			return fmt.Errorf("%w: stream info: %w", ErrUnavailable, err)
		}
		return fmt.Errorf("stream info: %w", err)
	}
	c := info.Cluster
	if c == nil || (c.Leader != "" && len(c.Replicas) == 0) {
		return nil // one server, or one replica
	}
	if c.Leader == "" {
		return fmt.Errorf("%w: stream %s has no leader", ErrUnavailable, StreamName)
	}
	up := 1
	for _, r := range c.Replicas {
		if r.Current && !r.Offline && r.Active < activeWithin {
			up++
		}
	}
	if total := 1 + len(c.Replicas); 2*up <= total {
		return fmt.Errorf("%w: stream %s's leader hears from %d of %d replicas", ErrUnavailable, StreamName, up, total)
	}
	return nil
}
