package tokens

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
)

// deployedFilter matches every deploy: the project of an app is its last
// deployed spec's.
var deployedFilter = events.SubjectPrefix + "." + string(events.KindApp) + ".*.deployed"

// foldProject notes the project of a deployed app.
func (r *Registry) foldProject(e events.Event) {
	if d, ok := e.(events.AppDeployed); ok {
		r.apps[d.App] = commands.ProjectOf(d.Project)
	}
}

// ProjectOf is the project app belongs to; false for an unknown app.
func (r *Registry) ProjectOf(app string) (string, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	p, ok := r.apps[app]
	return p, ok
}

// Sees says whether p may act on project.
func (p Principal) Sees(project string) bool {
	return len(p.Projects) == 0 || slices.Contains(p.Projects, project)
}

// appOf is the {app} of an /v1/apps/{app}/... request.
func appOf(pattern, path string) (string, bool) {
	if !strings.Contains(pattern, "{app}") {
		return "", false
	}
	parts := strings.Split(path, "/") // "", "v1", "apps", app, ...
	if len(parts) < 4 {
		return "", false
	}
	return parts[3], true
}

// projectCheck holds a project-scoped token to its projects: on an app's
// routes (a deploy also to the project it asks for), on the event stream
// (it must name an app), and on the app list (filtered). It answers false
// after writing the refusal.
func (r *Registry) projectCheck(w http.ResponseWriter, req *http.Request, p Principal, pattern string) (http.ResponseWriter, func(), bool) {
	none := func() {}
	if len(p.Projects) == 0 {
		return w, none, true
	}
	refuse := func(project string) (http.ResponseWriter, func(), bool) {
		forbidden(w, "token "+p.Name+" may not act on project "+project)
		return w, none, false
	}
	if app, ok := appOf(pattern, req.URL.Path); ok {
		if project, known := r.ProjectOf(app); known && !p.Sees(project) {
			return refuse(project)
		}
		if strings.HasSuffix(pattern, "/deploy") {
			want := requestedProject(req)
			if _, known := r.ProjectOf(app); want == "" && !known {
				want = commands.DefaultProject
			}
			if want != "" && !p.Sees(want) {
				return refuse(want)
			}
		}
		return w, none, true
	}
	switch pattern {
	case "GET /v1/events/stream":
		app := req.URL.Query().Get("app")
		project, known := r.ProjectOf(app)
		if app == "" || !known || !p.Sees(project) {
			forbidden(w, "token "+p.Name+" is limited to projects "+strings.Join(p.Projects, ",")+": follow one of their apps (?app=)")
			return w, none, false
		}
	case "GET /v1/apps":
		f := &filtered{ResponseWriter: w, status: http.StatusOK}
		return f, func() { f.flush(r, p) }, true
	}
	return w, none, true
}

// requestedProject peeks at a deploy body's "project", leaving the body
// for the handler.
func requestedProject(req *http.Request) string {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20+1))
	req.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return ""
	}
	var b struct {
		Project string `json:"project"`
	}
	_ = json.Unmarshal(body, &b)
	return b.Project
}

// filtered holds back the app list to drop the apps of other projects.
type filtered struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (f *filtered) WriteHeader(status int)      { f.status = status }
func (f *filtered) Write(b []byte) (int, error) { return f.buf.Write(b) }

func (f *filtered) flush(r *Registry, p Principal) {
	body := f.buf.Bytes()
	var apps []map[string]any
	if f.status == http.StatusOK && json.Unmarshal(body, &apps) == nil {
		kept := []map[string]any{}
		for _, a := range apps {
			name, _ := a["name"].(string)
			if project, _ := r.ProjectOf(name); p.Sees(project) {
				kept = append(kept, a)
			}
		}
		body, _ = json.MarshalIndent(kept, "", "  ")
		body = append(body, '\n')
	}
	f.ResponseWriter.WriteHeader(f.status)
	_, _ = f.ResponseWriter.Write(body)
}
