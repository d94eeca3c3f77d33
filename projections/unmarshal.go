package projections

import (
	"fmt"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
)

// seqUnmarshaler turns a JetStream delivery into a Watermill message that
// carries the event's stream sequence, which the default unmarshaler
// drops and the checkpoint needs. The body is left undecoded: an event we
// cannot read must still reach the handler to be recorded and skipped.
type seqUnmarshaler struct{}

func (seqUnmarshaler) Unmarshal(m *nats.Msg) (*message.Message, error) {
	meta, err := m.Metadata()
	if err != nil {
		return nil, fmt.Errorf("not a JetStream delivery on %s: %w", m.Subject, err)
	}
	seq := strconv.FormatUint(meta.Sequence.Stream, 10)
	msg := message.NewMessage(meta.Stream+"-"+seq, m.Data)
	msg.Metadata.Set(MetadataSeq, seq)
	msg.Metadata.Set(MetadataSubject, m.Subject)
	return msg, nil
}

// deliveryOf reads back what seqUnmarshaler put on the message.
func deliveryOf(projector string, msg *message.Message) (delivery, error) {
	seq, err := strconv.ParseUint(msg.Metadata.Get(MetadataSeq), 10, 64)
	if err != nil || seq == 0 {
		return delivery{}, fmt.Errorf("message %s has no stream sequence", msg.UUID)
	}
	return delivery{projector: projector, seq: seq, subject: msg.Metadata.Get(MetadataSubject), body: msg.Payload}, nil
}
