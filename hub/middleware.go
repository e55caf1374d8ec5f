package hub

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/island-sensors/island"
)

// Keys of values that handlers leave in the echo.Context for the request log.
const (
	logNodeKey = "island.node"
	logCodeKey = "island.code"
)

// logRequests writes one line per request: method, path, status, duration,
// and the node and error code when there is one. It never logs payloads.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // writes the answer, so that its status is known
		}
		status := c.Response().Status
		attrs := []slog.Attr{
			slog.String("method", c.Request().Method),
			slog.String("path", logPath(c.Request().URL.Path)),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
		}
		if node, ok := c.Get(logNodeKey).(string); ok && node != "" {
			attrs = append(attrs, slog.String("node", logNode(node)))
		}
		if code, ok := c.Get(logCodeKey).(string); ok {
			attrs = append(attrs, slog.String("code", code))
		}
		level := slog.LevelInfo
		if status >= http.StatusInternalServerError {
			level = slog.LevelWarn
		}
		s.log.LogAttrs(c.Request().Context(), level, "request", attrs...)
		return nil
	}
}

// recoverPanics turns a panic in a handler into an internal error, logged
// with its stack, so that one bad request does not take the hub down.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			if r == http.ErrAbortHandler {
				panic(r)
			}
			stack := make([]byte, 8<<10)
			stack = stack[:runtime.Stack(stack, false)]
			err = fmt.Errorf("panic: %v", r)
			s.log.Error("handler panicked", "path", c.Request().URL.Path, "panic", fmt.Sprint(r),
				"stack", string(stack))
		}()
		return next(c)
	}
}

// logNode is a node id as the request log shows it: whole when it could be
// valid, else cut short, so that a client cannot make a log line as long as
// its body.
func logNode(node string) string {
	if len(node) <= island.MaxIDLength {
		return node
	}
	return fmt.Sprintf("%.40q... (%d bytes)", node, len(node))
}

// maxLogPath is how much of a request's path the log shows.
const maxLogPath = 256

// logPath is a request path as the request log shows it: cut short past
// maxLogPath bytes, like logNode.
func logPath(path string) string {
	if len(path) <= maxLogPath {
		return path
	}
	return fmt.Sprintf("%.*s... (%d bytes)", maxLogPath, path, len(path))
}
