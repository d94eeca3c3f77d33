package natsserver

import (
	"context"
	"fmt"
	"log/slog"
)

// slogLogger adapts slog to the nats-server logger. Fatal is logged as an
// error: the embedding program, not the library, decides to exit.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) log(level slog.Level, format string, v []any) {
	if s.l.Enabled(context.Background(), level) {
		s.l.Log(context.Background(), level, fmt.Sprintf(format, v...))
	}
}

func (s slogLogger) Noticef(format string, v ...any) { s.log(slog.LevelInfo, format, v) }
func (s slogLogger) Warnf(format string, v ...any)   { s.log(slog.LevelWarn, format, v) }
func (s slogLogger) Fatalf(format string, v ...any)  { s.log(slog.LevelError, format, v) }
func (s slogLogger) Errorf(format string, v ...any)  { s.log(slog.LevelError, format, v) }
func (s slogLogger) Debugf(format string, v ...any)  { s.log(slog.LevelDebug, format, v) }
func (s slogLogger) Tracef(format string, v ...any)  { s.log(slog.LevelDebug-4, format, v) }
