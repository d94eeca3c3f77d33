package testimage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
)

const (
	// Ref is the tag the test image is built under.
	Ref = "berth-testapp:latest"
	// LabelBinarySHA256 records which testapp binary an image holds, so a changed binary forces a rebuild.
	LabelBinarySHA256 = "berth.testapp.sha256"

	testappPkg = "github.com/berth-dev/berth/agent/testapp"
	dockerfile = `FROM scratch
COPY testapp /testapp
EXPOSE 8080
ENTRYPOINT ["/testapp"]
`
)

// Docker is the subset of the Docker client Ensure calls.
type Docker interface {
	ImageInspect(ctx context.Context, ref string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImageBuild(ctx context.Context, buildContext io.Reader, opts build.ImageBuildOptions) (build.ImageBuildResponse, error)
	ImageRemove(ctx context.Context, ref string, opts image.RemoveOptions) ([]image.DeleteResponse, error)
}

// ensureMu serialises Ensure within a process; a file lock does the same across test binaries.
var ensureMu sync.Mutex

// Ensure makes Ref hold the testapp built from the current source and returns Ref.
// It compiles the testapp (static, CGO_ENABLED=0) and builds a FROM-scratch image
// through the Engine API only when the image is missing or holds a different binary.
func Ensure(ctx context.Context, cli Docker) (string, error) {
	return ensure(ctx, cli, Ref)
}

func ensure(ctx context.Context, cli Docker, ref string) (string, error) {
	ensureMu.Lock()
	defer ensureMu.Unlock()

	dir, err := os.MkdirTemp("", "berth-testimage-")
	if err != nil {
		return "", fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)

	bin := filepath.Join(dir, "testapp")
	if err := compile(ctx, bin); err != nil {
		return "", err
	}
	binary, err := os.ReadFile(bin)
	if err != nil {
		return "", fmt.Errorf("read testapp binary: %w", err)
	}
	sum := sha256.Sum256(binary)
	want := hex.EncodeToString(sum[:])

	if current, _ := imageSum(ctx, cli, ref); current == want {
		return ref, nil
	}

	unlock, err := lockFile(filepath.Join(os.TempDir(), "berth-testimage.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()

	// Another process may have built it while we waited for the lock.
	current, oldID := imageSum(ctx, cli, ref)
	if current == want {
		return ref, nil
	}
	if err := buildImage(ctx, cli, ref, binary, want); err != nil {
		return "", err
	}
	if got, _ := imageSum(ctx, cli, ref); got != want {
		return "", fmt.Errorf("build %s: image has binary %q, want %q", ref, got, want)
	}
	if oldID != "" {
		// Best effort: an older image still used by a container stays.
		_, _ = cli.ImageRemove(ctx, oldID, image.RemoveOptions{PruneChildren: true})
	}
	return ref, nil
}

// imageSum returns the binary checksum label and the id of the image ref names, if any.
func imageSum(ctx context.Context, cli Docker, ref string) (sum, id string) {
	img, err := cli.ImageInspect(ctx, ref)
	if err != nil || img.Config == nil {
		return "", ""
	}
	return img.Config.Labels[LabelBinarySHA256], img.ID
}

func compile(ctx context.Context, out string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	// -trimpath and -buildvcs=false keep the binary identical across commits and checkouts,
	// so unchanged source never forces an image rebuild.
	cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-buildvcs=false",
		"-ldflags=-s -w", "-o", out, testappPkg)
	cmd.Dir = sourceDir()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=")
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", testappPkg, err, output)
	}
	return nil
}

// sourceDir is this package's directory, so `go build` resolves the berth module
// from whatever directory the calling test runs in. Empty (the working directory)
// when the binary was built with -trimpath.
func sourceDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	dir := filepath.Dir(file)
	if _, err := os.Stat(dir); err != nil {
		return ""
	}
	return dir
}

func buildImage(ctx context.Context, cli Docker, ref string, binary []byte, sum string) error {
	tarball, err := buildContext(binary)
	if err != nil {
		return err
	}
	resp, err := cli.ImageBuild(ctx, tarball, build.ImageBuildOptions{
		Tags:        []string{ref},
		Labels:      map[string]string{LabelBinarySHA256: sum},
		Remove:      true,
		ForceRemove: true,
		Version:     build.BuilderV1,
	})
	if err != nil {
		return fmt.Errorf("build %s: %w", ref, err)
	}
	defer resp.Body.Close()
	// The daemon reports build failures inside the stream, not as an HTTP error.
	if err := jsonmessage.DisplayJSONMessagesStream(resp.Body, io.Discard, 0, false, nil); err != nil {
		return fmt.Errorf("build %s: %w", ref, err)
	}
	return nil
}

func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
