package chaos

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/rs/zerolog"
)

// zerologTo returns a zerolog logger that hands each of toxiproxy's log
// lines to log, so that the server logs through slog alone.
func zerologTo(log *slog.Logger) zerolog.Logger {
	level := zerolog.InfoLevel
	if log.Enabled(context.Background(), slog.LevelDebug) {
		level = zerolog.DebugLevel
	}
	return zerolog.New(slogWriter{log}).Level(level)
}

// slogWriter turns zerolog's JSON lines into slog records.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	var fields map[string]any
	if err := json.Unmarshal(p, &fields); err != nil {
		w.log.Warn("toxiproxy log line", "bytes", len(p))
		return len(p), nil
	}
	msg, _ := fields["message"].(string)
	lvl, _ := fields["level"].(string)
	delete(fields, "message")
	delete(fields, "level")
	attrs := make([]any, 0, 2*len(fields))
	for k, v := range fields {
		attrs = append(attrs, k, v)
	}
	w.log.Log(context.Background(), slogLevel(lvl), "toxiproxy: "+msg, attrs...)
	return len(p), nil
}

func slogLevel(zl string) slog.Level {
	switch zl {
	case "error", "fatal", "panic":
		return slog.LevelError
	case "warn":
		return slog.LevelWarn
	case "info":
		return slog.LevelInfo
	default:
		return slog.LevelDebug
	}
}
