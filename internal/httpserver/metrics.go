package httpserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/trustgate/trustgate/internal/apierr"
)

// metricsAuth lets a request through to next only with the bearer token
// the configuration names (TRUSTGATE_METRICS_TOKEN), when it names one;
// otherwise it answers 401 authentication_invalid, with a challenge
// Prometheus's authorization setting answers. The comparison is of digests,
// in constant time: neither the token's bytes nor its length show in the
// time of a refusal.
func (s *Server) metricsAuth(next http.Handler) http.Handler {
	if s.cfg.MetricsToken == "" {
		return next
	}
	want := sha256.Sum256([]byte(s.cfg.MetricsToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		got := sha256.Sum256([]byte(strings.TrimSpace(token)))
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="trustgate metrics"`)
			writeError(w, http.StatusUnauthorized, apierr.Newf(apierr.AuthenticationInvalid, "Send Authorization: Bearer with the token in TRUSTGATE_METRICS_TOKEN."))
			return
		}
		next.ServeHTTP(w, r)
	})
}
