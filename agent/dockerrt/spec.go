package dockerrt

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
)

// Docker labels Berth puts on every container it runs.
const (
	LabelApp      = "berth.app"
	LabelInstance = "berth.instance"
	LabelHost     = "berth.host"
	// LabelLogFallback is set, to the fallback address, when the syslog
	// receiver was unreachable at start and logs went to the fallback instead.
	LabelLogFallback = "berth.log-fallback"

	// NamePrefix + instance id is a container's name.
	NamePrefix = "berth-"

	defaultContainerPort = 8080
)

// ContainerSpec is one instance to run.
type ContainerSpec struct {
	App, Instance, Host, Image string
	// HostIP and HostPort are where the container port is published on the host.
	HostIP        string
	HostPort      int
	ContainerPort int // default 8080; also passed to the app as $PORT
	Env           map[string]string
	MemoryBytes   int64      // 0 = unlimited; swap is disabled when set
	NanoCPUs      int64      // 1e9 = one CPU; 0 = unlimited
	Log           *SyslogLog // nil = the engine's default log driver
	// ReadOnly runs the root filesystem read-only with a tmpfs on /tmp.
	ReadOnly bool
	// User is "UID[:GID]"; empty runs as the image's user.
	User string
	// CapAdd are capabilities added to the default set (the server
	// checked them against its allow-list).
	CapAdd []string
	// PidsLimit caps the container's processes; default DefaultPidsLimit.
	PidsLimit int64
}

// Locked-down defaults of every container (README, "Limits and defaults").
const (
	DefaultPidsLimit = 1024
	// TmpfsSize bounds the /tmp of a read-only container.
	TmpfsSize = "64m"
)

// droppedCaps are removed from Docker's default capability set: raw
// sockets let one container spoof traffic to its neighbours. What is
// left is Nomad's default set.
var droppedCaps = []string{"NET_RAW"}

// Name is the container name for the instance.
func (s ContainerSpec) Name() string { return NamePrefix + s.Instance }

func (s *ContainerSpec) setDefaults() {
	if s.ContainerPort == 0 {
		s.ContainerPort = defaultContainerPort
	}
	if s.PidsLimit == 0 {
		s.PidsLimit = DefaultPidsLimit
	}
	if s.Log != nil {
		s.Log.setDefaults(s.Instance)
	}
}

// Validate reports every problem with the spec at once.
func (s ContainerSpec) Validate() error {
	var errs []error
	for name, v := range map[string]string{"app": s.App, "instance": s.Instance, "host": s.Host, "image": s.Image} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is required", name))
		}
	}
	if _, err := netip.ParseAddr(s.HostIP); err != nil {
		errs = append(errs, fmt.Errorf("host IP %q: %w", s.HostIP, err))
	}
	if s.HostPort < 1 || s.HostPort > 65535 {
		errs = append(errs, fmt.Errorf("host port %d out of range", s.HostPort))
	}
	if s.ContainerPort < 1 || s.ContainerPort > 65535 {
		errs = append(errs, fmt.Errorf("container port %d out of range", s.ContainerPort))
	}
	if s.MemoryBytes < 0 || s.NanoCPUs < 0 {
		errs = append(errs, errors.New("resource limits must not be negative"))
	}
	if s.Log != nil {
		if err := s.Log.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("log: %w", err))
		}
	}
	return errors.Join(errs...)
}

// LogFallback is what Run does when the syslog receiver is unreachable at container start.
type LogFallback string

const (
	// FallbackUDP restarts the container logging over UDP to the same host:port.
	// The syslog driver cannot fail to start over UDP, and delivery resumes by
	// itself once a receiver listens there.
	FallbackUDP LogFallback = "udp"
	// FallbackEngineDefault starts the container with the engine's default log
	// driver (usually json-file): logs stay readable with `docker logs` but
	// never reach the syslog receiver for this container's lifetime.
	FallbackEngineDefault LogFallback = "engine-default"
)

// SyslogLog configures Docker's syslog log driver for a container.
//
// Docker opens the syslog connection when the container starts. Over TCP (or
// TLS, or a unix stream socket) with nothing listening, ContainerCreate
// succeeds but ContainerStart fails with "failed to initialize logging driver:
// dial tcp ...: connect: connection refused", and the container is left in
// state "created"; mode=non-blocking does not change that. Once started, a
// dead receiver never stalls the app: in non-blocking mode lines go to a ring
// buffer of MaxBufferSize and are dropped when it is full, and the driver
// redials on the next write, so delivery resumes when the receiver is back.
// Run therefore retries a start that failed this way with Fallback, and marks
// the container with LabelLogFallback.
type SyslogLog struct {
	Address       string      // tcp://127.0.0.1:5514, udp://..., tcp+tls://..., unix://...
	Format        string      // default rfc5424micro
	Tag           string      // syslog APP-NAME; default the instance id (RFC 5424 allows 48 chars)
	MaxBufferSize string      // non-blocking ring buffer, e.g. "4m"; default 1m
	Fallback      LogFallback // default FallbackUDP
}

func (l *SyslogLog) setDefaults(instance string) {
	if l.Format == "" {
		l.Format = "rfc5424micro"
	}
	if l.Tag == "" {
		l.Tag = instance
	}
	if l.MaxBufferSize == "" {
		l.MaxBufferSize = "1m"
	}
	if l.Fallback == "" {
		l.Fallback = FallbackUDP
	}
}

// Validate reports every problem with the log settings at once.
func (l SyslogLog) Validate() error {
	var errs []error
	u, err := url.Parse(l.Address)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("address %q: %w", l.Address, err))
	case u.Scheme != "tcp" && u.Scheme != "udp" && u.Scheme != "tcp+tls" && u.Scheme != "unix" && u.Scheme != "unixgram":
		errs = append(errs, fmt.Errorf("address %q: want tcp://, udp://, tcp+tls://, unix:// or unixgram://", l.Address))
	}
	switch l.Format {
	case "", "rfc5424", "rfc5424micro", "rfc3164":
	default:
		errs = append(errs, fmt.Errorf("format %q: want rfc5424, rfc5424micro or rfc3164", l.Format))
	}
	if len(l.Tag) > 48 {
		errs = append(errs, fmt.Errorf("tag %q longer than 48 characters", l.Tag))
	}
	switch l.Fallback {
	case "", FallbackUDP, FallbackEngineDefault:
	default:
		errs = append(errs, fmt.Errorf("fallback %q: want %q or %q", l.Fallback, FallbackUDP, FallbackEngineDefault))
	}
	return errors.Join(errs...)
}
