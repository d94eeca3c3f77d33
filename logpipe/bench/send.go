package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// SendConfig describes one load run.
type SendConfig struct {
	// Addr is the receiver's TCP host:port.
	Addr string
	// Conns is how many TCP connections share the lines.
	Conns int
	// Lines is how many lines are sent in total.
	Lines int
	// Instances is how many instance ids (InstanceID(0..Instances-1)) the
	// lines rotate through.
	Instances int
	// Hostname is the syslog HOSTNAME, as Docker writes its machine's name.
	Hostname string
}

// Validate reports every problem with c at once.
func (c SendConfig) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: %w", c.Addr, err))
	}
	if c.Conns < 1 || c.Lines < 1 || c.Instances < 1 {
		errs = append(errs, fmt.Errorf("conns %d, lines %d and instances %d must be positive", c.Conns, c.Lines, c.Instances))
	}
	if c.Conns > c.Lines {
		errs = append(errs, fmt.Errorf("more conns (%d) than lines (%d)", c.Conns, c.Lines))
	}
	if c.Hostname == "" {
		errs = append(errs, errors.New("hostname is empty"))
	}
	return errors.Join(errs...)
}

// SendResult is what a run sent.
type SendResult struct {
	Lines   int
	Bytes   int64
	Elapsed time.Duration
}

// writeBuffer is the batch each connection hands the kernel at once.
const writeBuffer = 64 << 10

// Send sends cfg.Lines lines as fast as the receiver takes them, line seq
// going to connection seq*Conns/Lines, and returns once every connection
// has written its share and closed.
func Send(ctx context.Context, cfg SendConfig) (SendResult, error) {
	if err := cfg.Validate(); err != nil {
		return SendResult{}, fmt.Errorf("send config: %w", err)
	}
	instances := make([]string, cfg.Instances)
	for i := range instances {
		instances[i] = InstanceID(i)
	}
	conns := make([]net.Conn, cfg.Conns)
	var d net.Dialer
	for i := range conns {
		c, err := d.DialContext(ctx, "tcp", cfg.Addr)
		if err != nil {
			closeAll(conns[:i])
			return SendResult{}, fmt.Errorf("dial %s: %w", cfg.Addr, err)
		}
		conns[i] = c
	}
	stop := context.AfterFunc(ctx, func() { closeAll(conns) })
	defer stop()

	start := time.Now()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		bytes int64
		errs  []error
	)
	for i, c := range conns {
		from, to := i*cfg.Lines/cfg.Conns, (i+1)*cfg.Lines/cfg.Conns
		wg.Go(func() {
			n, err := sendRange(c, cfg.Hostname, instances, from, to)
			mu.Lock()
			defer mu.Unlock()
			bytes += n
			if err != nil {
				errs = append(errs, fmt.Errorf("conn %d: %w", i, err))
			}
		})
	}
	wg.Wait()
	res := SendResult{Lines: cfg.Lines, Bytes: bytes, Elapsed: time.Since(start)}
	if err := errors.Join(errs...); err != nil {
		return res, fmt.Errorf("send: %w", errors.Join(ctx.Err(), err))
	}
	return res, nil
}

// tsEvery is how many lines share one formatted timestamp; formatting
// each would make the generator, not the receiver, the bottleneck.
const tsEvery = 256

func sendRange(c net.Conn, hostname string, instances []string, from, to int) (int64, error) {
	defer c.Close()
	w := bufio.NewWriterSize(c, writeBuffer)
	line := make([]byte, 0, 256)
	var (
		ts   string
		sent int64
	)
	for seq := from; seq < to; seq++ {
		if (seq-from)%tsEvery == 0 {
			ts = formatTime(time.Now())
		}
		line = AppendLine(line[:0], ts, hostname, instances[seq%len(instances)], seq)
		if _, err := w.Write(line); err != nil {
			return sent, err
		}
		sent += int64(len(line))
	}
	return sent, w.Flush()
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}
