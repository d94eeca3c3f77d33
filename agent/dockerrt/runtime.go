package dockerrt

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// API is the subset of the Docker Engine client the runtime calls; *client.Client implements it.
type API interface {
	Ping(ctx context.Context) (types.Ping, error)
	ImageInspect(ctx context.Context, ref string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImagePull(ctx context.Context, ref string, opts image.PullOptions) (io.ReadCloser, error)
	ContainerCreate(ctx context.Context, config *container.Config, hostConfig *container.HostConfig,
		networkingConfig *network.NetworkingConfig, platform *ocispec.Platform, name string) (container.CreateResponse, error)
	ContainerStart(ctx context.Context, id string, opts container.StartOptions) error
	ContainerStop(ctx context.Context, id string, opts container.StopOptions) error
	ContainerRemove(ctx context.Context, id string, opts container.RemoveOptions) error
	ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error)
	ContainerList(ctx context.Context, opts container.ListOptions) ([]container.Summary, error)
	ContainerStats(ctx context.Context, id string, stream bool) (container.StatsResponseReader, error)
	ContainerLogs(ctx context.Context, id string, opts container.LogsOptions) (io.ReadCloser, error)
	Events(ctx context.Context, opts events.ListOptions) (<-chan events.Message, <-chan error)
}

// ErrNotFound reports a container that does not exist.
var ErrNotFound = errors.New("container not found")

// ErrImageUnavailable reports an image that is neither present nor pullable.
var ErrImageUnavailable = errors.New("image unavailable")

// Runtime runs, stops, lists and watches Berth's containers on one Docker engine.
type Runtime struct {
	api API
	log *slog.Logger

	// Reconnect backoff bounds for Watch.
	backoffMin, backoffMax time.Duration
}

// New returns a Runtime over api; a nil logger discards logs.
func New(api API, log *slog.Logger) (*Runtime, error) {
	if api == nil {
		return nil, errors.New("dockerrt: nil Docker API")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runtime{api: api, log: log, backoffMin: 200 * time.Millisecond, backoffMax: 5 * time.Second}, nil
}

// NewClient connects to the engine named by the DOCKER_* environment
// (default unix:///var/run/docker.sock), negotiating the API version so
// older engines work. Callers Close it.
func NewClient(opts ...client.Opt) (*client.Client, error) {
	opts = append([]client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}, opts...)
	return client.NewClientWithOpts(opts...)
}
