package httpserver

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestStatusWriterKeepsControls checks that the request-logging writer every
// handler gets still lets http.ResponseController set a write deadline and
// flush: the CSV export extends its deadline per batch, so that the server's
// WriteTimeout bounds one batch rather than the whole export.
func TestStatusWriterKeepsControls(t *testing.T) {
	errs := make(chan error, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		rc := http.NewResponseController(sw)
		errs <- rc.SetWriteDeadline(time.Now().Add(time.Minute))
		io.WriteString(sw, "row\n")
		errs <- rc.Flush()
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, what := range []string{"SetWriteDeadline", "Flush"} {
		if err := <-errs; err != nil {
			t.Errorf("%s through statusWriter: %v", what, err)
		}
	}
}
