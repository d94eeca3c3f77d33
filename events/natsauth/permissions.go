package natsauth

import (
	"github.com/nats-io/nats-server/v2/server"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/hostbus"
	"github.com/berth-dev/berth/logpipe/buffer"
)

// jsAPI is the JetStream API subject prefix.
const jsAPI = "$JS.API."

// AgentInbox is the inbox prefix agent host must connect with
// (nats.CustomInboxPrefix): replies to it are its alone, where the
// default _INBOX.> would let one client read every other's replies.
func AgentInbox(host string) string { return "_INBOX_" + host }

// IntegratorInbox is the inbox prefix integrator name must connect with.
func IntegratorInbox(name string) string { return "_INBOX_i_" + name }

// kvSubject is the subject a KV bucket stores key under.
func kvSubject(bucket, key string) string { return "$KV." + bucket + "." + key }

// kvStream is the stream behind a KV bucket.
func kvStream(bucket string) string { return "KV_" + bucket }

// neverForAgents is denied to agents whatever the allow list says (deny
// wins): the event log, the routing buckets and port claims, and every
// stream's admin API.
var neverForAgents = []string{
	events.SubjectPrefix + ".>",
	kvSubject(events.BucketRoutes, ">"),
	kvSubject(events.BucketEndpoints, ">"),
	kvSubject(events.BucketPorts, ">"),
	jsAPI + "STREAM.CREATE.>", jsAPI + "STREAM.UPDATE.>", jsAPI + "STREAM.DELETE.>",
	jsAPI + "STREAM.PURGE.>", jsAPI + "STREAM.MSG.DELETE.>", jsAPI + "STREAM.LIST", jsAPI + "STREAM.NAMES",
	jsAPI + "STREAM.MSG.GET." + events.StreamName, jsAPI + "STREAM.MSG.GET." + hostbus.AssignStream,
	jsAPI + "CONSUMER.LIST.>", jsAPI + "CONSUMER.NAMES.>",
	"$JS.ACK.>",
}

// Agent is what host's agent may do: follow its own assignments, claim
// facts about its own host, write its own heartbeat, publish instance
// samples and log records. It can read no other host's work and no app
// spec but those assigned to it, and write no event, command or route.
func Agent(host string) *server.Permissions {
	assign := hostbus.AssignStream
	hb := kvStream(events.BucketHeartbeats)
	return &server.Permissions{
		Publish: &server.SubjectPermission{
			Allow: []string{
				hostbus.FactFilter(host),
				kvSubject(events.BucketHeartbeats, host),
				events.MetricsSubjectPrefix + ".instance.>",
				buffer.AllSubjects,
				jsAPI + "INFO",
				jsAPI + "STREAM.INFO." + assign,
				jsAPI + "CONSUMER.CREATE." + assign + ".*." + hostbus.AssignFilter(host),
				jsAPI + "CONSUMER.MSG.NEXT." + assign + ".*",
				jsAPI + "CONSUMER.INFO." + assign + ".*",
				jsAPI + "CONSUMER.DELETE." + assign + ".*",
				jsAPI + "DIRECT.GET." + assign + "." + hostbus.AssignFilter(host),
				jsAPI + "STREAM.INFO." + hb,
				jsAPI + "STREAM.INFO." + buffer.StreamName,
				jsAPI + "DIRECT.GET." + buffer.StreamName + ".>",
				jsAPI + "STREAM.MSG.GET." + buffer.StreamName, // the relay's backfill: the last record of an instance
			},
			Deny: neverForAgents,
		},
		Subscribe: &server.SubjectPermission{
			Allow: []string{AgentInbox(host) + ".>"},
		},
	}
}

// Integrator may read the public event contract (core subscriptions and
// its own ordered consumers on the event stream) and the metrics, and
// write nothing.
func Integrator(name string) *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{
			Allow: []string{
				jsAPI + "INFO",
				jsAPI + "STREAM.INFO." + events.StreamName,
				jsAPI + "CONSUMER.CREATE." + events.StreamName + ".>",
				jsAPI + "CONSUMER.MSG.NEXT." + events.StreamName + ".*",
				jsAPI + "CONSUMER.INFO." + events.StreamName + ".*",
				jsAPI + "DIRECT.GET." + events.StreamName + ".>",
			},
			Deny: []string{jsAPI + "CONSUMER.DELETE.>", "$JS.ACK.>", "$KV.>", "berth.>"},
		},
		Subscribe: &server.SubjectPermission{
			Allow: []string{events.AllSubjects, events.MetricsSubjectPrefix + ".>", IntegratorInbox(name) + ".>"},
		},
	}
}
