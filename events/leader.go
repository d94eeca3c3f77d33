package events

import (
	"context"
	"encoding/json"
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
	resp, err := nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+stream, req)
	if err != nil {
		return LeaderMsg{}, fmt.Errorf("get last %s from the %s leader: %w", subject, stream, err)
	}
	var body struct {
		Message *LeaderMsg          `json:"message"`
		Error   *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(resp.Data, &body); err != nil {
		return LeaderMsg{}, fmt.Errorf("get last %s from the %s leader: decode: %w", subject, stream, err)
	}
	if body.Error != nil {
		if body.Error.ErrorCode == errCodeNoMessageFound {
			return LeaderMsg{}, jetstream.ErrMsgNotFound
		}
		return LeaderMsg{}, fmt.Errorf("get last %s from the %s leader: %w", subject, stream, body.Error)
	}
	if body.Message == nil {
		return LeaderMsg{}, fmt.Errorf("get last %s from the %s leader: empty answer", subject, stream)
	}
	return *body.Message, nil
}
