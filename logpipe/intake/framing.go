package intake

import (
	"bufio"
	"errors"
	"io"
)

// framing is how a TCP connection delimits messages (RFC 6587).
type framing int

const (
	framingUnknown framing = iota
	// framingOctet prefixes each message with its length: "12 <30>1 ...".
	framingOctet
	// framingNewline ends each message with LF, as Docker's syslog driver
	// does over plain TCP.
	framingNewline
)

// maxLengthDigits bounds an octet-counting length header.
const maxLengthDigits = 9

// framer splits a TCP byte stream into frames of at most max bytes. The
// framing is detected from the connection's first byte: a digit means
// octet counting, anything else newline-terminated. Longer messages are
// truncated to max and the rest skipped. An octet-counted stream that
// loses sync (a header that is not a length) yields the bytes up to the
// next LF as one frame, then tries a header again.
type framer struct {
	r    *bufio.Reader
	max  int
	mode framing
	acc  []byte
}

// readBufferSize is the per-connection read buffer; longer frames are
// assembled in acc up to max.
const readBufferSize = 16 << 10

func newFramer(r io.Reader, max int) *framer {
	return &framer{r: bufio.NewReaderSize(r, min(readBufferSize, max)), max: max}
}

// next returns the next frame, valid until the following call, and whether
// it was truncated. It returns io.EOF after the last frame; a partial
// frame at the end of the stream is returned as a frame first.
func (f *framer) next() (frame []byte, truncated bool, err error) {
	if f.mode == framingUnknown {
		b, err := f.r.Peek(1)
		if err != nil {
			return nil, false, err
		}
		f.mode = framingNewline
		if isDigit(b[0]) {
			f.mode = framingOctet
		}
	}
	if f.mode == framingOctet {
		return f.nextOctet()
	}
	f.acc = f.acc[:0]
	return f.line()
}

// line reads up to the next LF, appending to acc; the LF is not part of
// the frame and does not count towards max.
func (f *framer) line() (frame []byte, truncated bool, err error) {
	for {
		chunk, err := f.r.ReadSlice('\n')
		if err == nil {
			chunk = chunk[:len(chunk)-1]
			if len(f.acc) == 0 && len(chunk) <= f.max {
				return chunk, false, nil // the common case: no copy
			}
		}
		truncated = f.appendBounded(chunk) || truncated
		switch {
		case err == nil:
			return f.acc, truncated, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(f.acc) > 0:
			return f.acc, truncated, nil
		default:
			return nil, false, err
		}
	}
}

func (f *framer) appendBounded(b []byte) (truncated bool) {
	room := max(f.max-len(f.acc), 0)
	if len(b) > room {
		b, truncated = b[:room], true
	}
	f.acc = append(f.acc, b...)
	return truncated
}

func (f *framer) nextOctet() (frame []byte, truncated bool, err error) {
	// Some senders end octet-counted frames with LF as well; skip it.
	for {
		b, err := f.r.Peek(1)
		if err != nil {
			return nil, false, err
		}
		if b[0] != '\n' && b[0] != '\r' {
			break
		}
		_, _ = f.r.ReadByte()
	}
	f.acc = f.acc[:0]
	n, ok, err := f.length()
	if err != nil && len(f.acc) == 0 {
		return nil, false, err
	}
	if !ok {
		// Out of sync: what was read, up to the end of the line, is a frame.
		ended := f.acc[len(f.acc)-1] == '\n'
		if ended {
			f.acc = f.acc[:len(f.acc)-1]
		}
		if len(f.acc) > f.max {
			f.acc, truncated = f.acc[:f.max], true
		}
		if ended || err != nil {
			return f.acc, truncated, nil
		}
		frame, more, err := f.line()
		return frame, truncated || more, err
	}
	keep := min(n, f.max)
	if cap(f.acc) < keep {
		f.acc = make([]byte, keep)
	}
	f.acc = f.acc[:keep]
	got, err := io.ReadFull(f.r, f.acc)
	f.acc = f.acc[:got]
	if err != nil {
		if got == 0 {
			return nil, false, io.EOF
		}
		return f.acc, true, nil // the stream ended inside the frame
	}
	if n > keep {
		_, _ = f.r.Discard(n - keep) // a short discard means EOF, which the next call reports
		return f.acc, true, nil
	}
	return f.acc, false, nil
}

// length reads "<digits> ". Bytes that turn out not to be a header stay in
// acc for the caller.
func (f *framer) length() (n int, ok bool, err error) {
	for {
		c, err := f.r.ReadByte()
		if err != nil {
			return 0, false, err
		}
		f.acc = append(f.acc, c)
		switch {
		case c == ' ' && len(f.acc) > 1:
			return n, true, nil
		case isDigit(c) && len(f.acc) <= maxLengthDigits:
			n = n*10 + int(c-'0')
		default:
			return 0, false, nil
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
