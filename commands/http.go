package commands

import (
	"net/http"

	"github.com/nats-io/nuid"

	"github.com/berth-dev/berth/commands/httpjson"
	"github.com/berth-dev/berth/events"
)

// IdempotencyHeader carries a client's idempotency key on command requests.
const IdempotencyHeader = "Idempotency-Key"

// Routes registers the write endpoints on mux.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/apps/{app}/deploy", h.serve(func(r *http.Request) (Decider, error) {
		var c Deploy
		if err := httpjson.Decode(r, &c); err != nil {
			return nil, err
		}
		c.App, c.Policy = r.PathValue("app"), h.policy
		return c.Decide, nil
	}))
	mux.HandleFunc("POST /v1/apps/{app}/scale", h.serve(func(r *http.Request) (Decider, error) {
		c, err := DecodeScale(r, r.PathValue("app"))
		return c.Decide, err
	}))
	mux.HandleFunc("POST /v1/apps/{app}/stop", h.serve(func(r *http.Request) (Decider, error) {
		var c Stop
		if err := httpjson.Decode(r, &c); err != nil {
			return nil, err
		}
		c.App = r.PathValue("app")
		return c.Decide, nil
	}))
	mux.HandleFunc("POST /v1/apps/{app}/instances/{instance}/health-fail", h.serve(func(r *http.Request) (Decider, error) {
		var c HealthFail
		if err := httpjson.Decode(r, &c); err != nil {
			return nil, err
		}
		c.App, c.Instance, c.Source = r.PathValue("app"), r.PathValue("instance"), "api"
		return c.Decide, nil
	}))
	mux.HandleFunc("POST /v1/apps/{app}/domains", h.serve(func(r *http.Request) (Decider, error) {
		c, err := DecodeSetDomains(r, r.PathValue("app"))
		if h.domains != nil {
			c.GatewayDomain = h.domains.gatewayDomain
		}
		return c.Decide, err
	}))
	mux.HandleFunc("POST /v1/apps/{app}/deny", h.serve(func(r *http.Request) (Decider, error) {
		c, err := DecodeSetDenyList(r, r.PathValue("app"))
		return c.Decide, err
	}))
	for _, action := range []string{ActionPause, ActionResume, ActionPromote, ActionAbort} {
		mux.HandleFunc("POST /v1/apps/{app}/rollout/"+action, h.serve(func(r *http.Request) (Decider, error) {
			c := RolloutAction{Action: action}
			if err := httpjson.Decode(r, &c); err != nil {
				return nil, err
			}
			c.App = r.PathValue("app")
			return c.Decide, nil
		}))
	}
	mux.HandleFunc("POST /v1/apps/{app}/rollback", h.serve(func(r *http.Request) (Decider, error) {
		var c Rollback
		if err := httpjson.Decode(r, &c); err != nil {
			return nil, err
		}
		c.App = r.PathValue("app")
		return c.Decide, nil
	}))
	mux.HandleFunc("POST /v1/apps/{app}/autoscale", h.serve(func(r *http.Request) (Decider, error) {
		var c SetAutoscale
		if err := httpjson.Decode(r, &c); err != nil {
			return nil, err
		}
		c.App = r.PathValue("app")
		return c.Decide, nil
	}))
}

// serve runs the command a request decodes to and answers with its Result:
// 201 when events were appended, 200 for a no-op or a duplicate.
func (h *Handler) serve(decode func(*http.Request) (Decider, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		decide, err := decode(r)
		if err != nil {
			httpjson.WriteError(w, r, err)
			return
		}
		key := r.Header.Get(IdempotencyHeader)
		if len(key) > 128 {
			httpjson.WriteError(w, r, invalid("Idempotency-Key", "is longer than 128 characters"))
			return
		}
		if key == "" {
			// A key of our own, so that a write whose outcome is unknown
			// can name the key to retry it with.
			key = "srv-" + nuid.Next()
		}
		res, err := h.Execute(r.Context(), r.PathValue("app"), key, decide)
		if err != nil {
			httpjson.WriteError(w, r, unavailable(err, key))
			return
		}
		status := http.StatusOK
		if len(res.Events) > 0 {
			status = http.StatusCreated
		}
		if res.Types == nil {
			res.Types = []string{}
		}
		for _, e := range res.Events {
			switch e := e.(type) {
			case events.AppDeployed:
				res.Release = e.Version
			case events.RolloutStarted:
				res.Release = e.Release
			}
		}
		httpjson.Write(w, status, res)
	}
}
