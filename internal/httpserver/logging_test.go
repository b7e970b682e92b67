package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
)

func TestLogHandlerAddsRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewJSONHandler(&buf, nil))).With("component", "test")
	ctx := context.WithValue(context.Background(), ctxRequestID{}, "req-123")
	log.InfoContext(ctx, "inside a resolver")
	log.Info("outside any request")
	var lines []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, m)
	}
	if lines[0]["request_id"] != "req-123" || lines[0]["component"] != "test" {
		t.Fatalf("in a request: %v", lines[0])
	}
	if _, ok := lines[1]["request_id"]; ok {
		t.Fatalf("outside a request: %v", lines[1])
	}
}
