package httpserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/trustgate/trustgate/ent/application"
	"github.com/trustgate/trustgate/ent/predicate"
	"github.com/trustgate/trustgate/graph"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/database"
	"github.com/trustgate/trustgate/internal/device"
	"github.com/trustgate/trustgate/internal/ratelimit"
	"github.com/trustgate/trustgate/internal/request"
	"github.com/trustgate/trustgate/internal/session"
	"github.com/trustgate/trustgate/internal/settings"
)

// Config configures the HTTP surface.
type Config struct {
	Dev            bool
	TrustedProxies []netip.Prefix
	Limits         Limits
	// MetricsToken, when set, is the bearer token GET /metrics requires.
	MetricsToken string
}

// Server is the HTTP handler of trustgate.
type Server struct {
	cfg      Config
	db       *database.DB
	svc      graph.Services
	resolver *graph.Resolver
	keys     *session.Keys
	devices  *device.Store
	log      *slog.Logger
	assets   fs.FS
	ready    func(context.Context) error
	registry *prometheus.Registry
	limiter  *ratelimit.Limiter
	cop      *http.CrossOriginProtection
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	router   chi.Router
	apps     *appCache

	// readyMu guards the readiness last logged: its reason ("" while ready)
	// and when.
	readyMu       sync.Mutex
	readyReason   string
	readyLoggedAt time.Time
}

// Deps are what the server is built from.
type Deps struct {
	DB       *database.DB
	Resolver *graph.Resolver
	Keys     *session.Keys
	Devices  *device.Store
	Log      *slog.Logger
	// Assets is the built web app (index.html, assets/); may be empty.
	Assets fs.FS
	// Ready reports whether the server can serve (database, migrations).
	// /readyz shows the Reason of a *NotReady it returns, and of any other
	// error only "not ready".
	Ready func(context.Context) error
	// Registry receives the server's metrics; collectors of other packages may be registered on it too.
	Registry *prometheus.Registry
	// Limiter enforces the per-IP budgets (the sign-in and sign-up services
	// spend the per-identifier one).
	Limiter *ratelimit.Limiter
}

// New builds the server and its routes.
func New(cfg Config, d Deps) *Server {
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits
	}
	s := &Server{
		cfg: cfg, db: d.DB, svc: d.Resolver.Svc, resolver: d.Resolver, keys: d.Keys, devices: d.Devices,
		log: d.Log, assets: d.Assets, ready: d.Ready, registry: d.Registry, limiter: d.Limiter,
		cop: http.NewCrossOriginProtection(), apps: newAppCache(d.DB.Ent),
	}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trustgate_http_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "trustgate_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route"})
	s.registry.MustRegister(s.requests, s.latency)
	s.router = s.routes()
	return s
}

// Handler returns the root handler.
func (s *Server) Handler() http.Handler { return s.router }

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(s.withRequestID, s.recoverer, s.observe, middleware.GetHead)
	r.Post("/graphql", s.graphql())
	r.Options("/graphql", s.preflight)
	r.MethodNotAllowed(methodNotAllowed)
	r.Get("/.well-known/jwks.json", s.jwks)
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", s.readyz)
	r.Handle("/metrics", s.metricsAuth(promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})))
	r.Get("/dashboard/config.json", s.dashboardConfig)
	r.Get(SignInEventsCSVPath, s.exportSignInEvents)
	r.Get("/assets/*", s.asset)
	for _, p := range []string{"/", "/sign-in", "/sign-in/*", "/sign-up", "/sign-up/*", "/account", "/account/*", "/dashboard", "/dashboard/*"} {
		r.Get(p, s.page)
	}
	return r
}

// graphql serves POST /graphql: JSON bodies only (no GET, no forms), bounded size, depth, aliases and complexity.
func (s *Server) graphql() http.HandlerFunc {
	schema := graph.NewExecutableSchema(graph.Config{
		Resolvers:  s.resolver,
		Directives: graph.DirectiveRoot{Can: s.resolver.Can, Session: s.resolver.SessionDirective},
		Complexity: graph.Complexity(),
	})
	h := handler.New(schema)
	h.AddTransport(transport.POST{})
	// Documents are bounded before gqlgen parses, validates and caches them
	// (documentLimit), which bounds a cached document to about 220 KiB; 100
	// of them hold every document the SDK and dashboard send, twice over,
	// in a heap that anyone's distinct documents cannot grow past ~22 MiB.
	h.Use(documentLimit{Limits: s.cfg.Limits, passed: lru.New[struct{}](100)})
	h.SetQueryCache(lru.New[*ast.QueryDocument](100))
	h.SetValidationRulesFn(validationRules(s.cfg.Dev))
	h.SetDisableSuggestion(!s.cfg.Dev)
	if s.cfg.Dev {
		h.Use(extension.Introspection{})
	} else {
		h.Use(noIntrospection{})
	}
	h.Use(noNUL{})
	h.Use(shapeLimit{s.cfg.Limits})
	h.Use(&complexityLimit{limit: s.cfg.Limits.MaxComplexity})
	h.AroundRootFields(s.rateLimit)
	h.SetErrorPresenter(graph.ErrorPresenter(s.log))
	h.SetRecoverFunc(func(ctx context.Context, p any) error {
		s.log.ErrorContext(ctx, "panic in resolver", "panic", p, "stack", string(debug.Stack()))
		return apierr.New(apierr.Internal)
	})
	return func(w http.ResponseWriter, r *http.Request) {
		// Answers carry personal data (a user, the sign-in history) and
		// tokens: no cache may keep one.
		w.Header().Set("Cache-Control", "no-store")
		tooLarge := func() {
			e := apierr.Newf(apierr.FormParamFormatInvalid, "GraphQL requests are limited to %d bytes.", s.cfg.Limits.MaxBodyBytes)
			e.Message = "Request body too large"
			writeError(w, http.StatusRequestEntityTooLarge, e)
		}
		if r.ContentLength > s.cfg.Limits.MaxBodyBytes {
			tooLarge()
			return
		}
		if !isJSON(r.Header.Get("Content-Type")) {
			// No form or multipart transport: a simple cross-site request
			// cannot reach a mutation, whatever the browser sends.
			e := apierr.Newf(apierr.FormParamFormatInvalid, "GraphQL requests are POSTed as application/json.")
			e.Message = "Unsupported content type"
			writeError(w, http.StatusUnsupportedMediaType, e)
			return
		}
		// Read here, not by gqlgen, so that a body without a Content-Length
		// (chunked) over the limit is a 413 too: gqlgen answers a body it
		// cannot read with a 200.
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.Limits.MaxBodyBytes))
		if err != nil {
			var over *http.MaxBytesError
			if errors.As(err, &over) {
				tooLarge()
				return
			}
			e := apierr.Newf(apierr.FormParamFormatInvalid, "The request body could not be read.")
			writeError(w, http.StatusBadRequest, e)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rq := s.identify(w, r)
		if !s.corsAllowed(w, r, rq) {
			e := apierr.Newf(apierr.PermissionDenied, "This origin is not in the application's allowedOrigins.")
			e.Message = "Cross-origin request refused"
			writeError(w, http.StatusForbidden, e)
			return
		}
		h.ServeHTTP(w, r.WithContext(request.With(r.Context(), rq)))
	}
}

// isJSON reports whether a Content-Type header names application/json
// (parameters such as charset allowed).
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// methodNotAllowed answers a route served only for other methods (GET
// /graphql: queries are POSTed, never in a URL that logs and caches keep)
// with the allowed methods and an error in the API's shape.
func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/graphql" {
		w.Header().Set("Allow", "POST, OPTIONS")
	}
	e := apierr.Newf(apierr.FormParamFormatInvalid, "%s is not allowed on %s.", r.Method, r.URL.Path)
	e.Message = "Method not allowed"
	writeError(w, http.StatusMethodNotAllowed, e)
}

// corsAllowed refuses cross-origin browser requests (Go's
// CrossOriginProtection: Sec-Fetch-Site, then Origin against Host) unless the
// origin is in the application's allowedOrigins, for which it sets CORS headers.
// Requests from non-browser clients carry neither header and pass.
func (s *Server) corsAllowed(w http.ResponseWriter, r *http.Request, rq *request.Info) bool {
	if s.cop.Check(r) == nil {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin != "" && rq.App != nil && rq.Settings.OriginAllowed(origin) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Expose-Headers", ClientTokenHeader+", Retry-After")
		h.Add("Vary", "Origin")
		return true
	}
	return false
}

// preflight answers CORS preflights for allowed origins.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request) {
	rq := &request.Info{}
	s.resolveApp(r.Context(), rq, r.Header.Get(PublishableKeyHeader))
	origin := r.Header.Get("Origin")
	if origin == "" || rq.App == nil || !rq.Settings.OriginAllowed(origin) {
		// Browsers do not send custom headers on preflights, so the app may be
		// unknown: allow the origin if any application lists it.
		if !s.anyAppAllows(r.Context(), origin) {
			w.WriteHeader(http.StatusForbidden)
			return
		}
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Allow-Methods", "POST")
	h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization, X-Publishable-Key, X-Client-Token")
	h.Set("Access-Control-Max-Age", "600")
	h.Add("Vary", "Origin")
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) anyAppAllows(ctx context.Context, origin string) bool {
	if origin == "" {
		return false
	}
	// Only the applications whose allowedOrigins name the origin (stored in
	// settings.CanonicalOrigin's form, compared with the origin in it) are
	// read; OriginAllowed over their effective settings has the last word.
	apps, err := s.db.Ent.Application.Query().Where(listsOrigin(s.db.Dialect, origin)).All(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "preflight: reading applications", "error", err)
		return false
	}
	for _, a := range apps {
		rq := &request.Info{}
		s.setApp(rq, a)
		if rq.App != nil && rq.Settings.OriginAllowed(origin) {
			return true
		}
	}
	return false
}

// listsOrigin matches applications whose explicit allowedOrigins setting
// may hold origin as settings.NormalizeOrigin compares: entries are stored in
// its form, but an entry stored before they were (HTTPS://App.example.com:443/,
// http://[0:0::1]:3000) is not, and SQL cannot canonicalise it. So the
// match is wider than the comparison: an entry equal to the origin once
// lowered and trimmed of '/', or, for an origin in CanonicalOrigin's form,
// one that starts, lowered, with its scheme and host (any port, any IPv6
// address for an IPv6 host). OriginAllowed over the matched applications'
// effective settings has the last word.
func listsOrigin(d, origin string) predicate.Application {
	want := settings.NormalizeOrigin(origin)
	prefix := ""
	if c, err := settings.CanonicalOrigin(origin); err == nil {
		scheme, host, _ := strings.Cut(c, "://")
		if strings.HasPrefix(host, "[") {
			host = "["
		} else if i := strings.LastIndexByte(host, ':'); i >= 0 {
			host = host[:i]
		}
		prefix = likeEscaper.Replace(scheme+"://"+host) + "%"
	}
	return func(sel *entsql.Selector) {
		col := sel.C(application.FieldSettings)
		sel.Where(entsql.P(func(b *entsql.Builder) {
			v := "o.value"
			if d == dialect.Postgres {
				v = "o.v"
				b.WriteString("EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(" + col + "->'allowedOrigins') = 'array' THEN " + col + "->'allowedOrigins' END) AS o(v) WHERE (")
			} else {
				b.WriteString("EXISTS (SELECT 1 FROM json_each(" + col + ", '$.allowedOrigins') AS o WHERE o.type = 'text' AND (")
			}
			b.WriteString("lower(rtrim(" + v + ", '/')) = ")
			b.Arg(want)
			if prefix != "" {
				b.WriteString(" OR lower(" + v + ") LIKE ")
				b.Arg(prefix)
				b.WriteString(` ESCAPE '\'`)
			}
			b.WriteString("))")
		}))
	}
}

// likeEscaper escapes LIKE's wildcards (and its escape character, \).
var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	set, err := s.keys.JWKS(r.Context())
	if err != nil {
		s.log.ErrorContext(r.Context(), "serving JWKS", "error", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal_error"})
		return
	}
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(session.JWKSMaxAge.Seconds())))
	writeJSON(w, http.StatusOK, set)
}

// NotReady is the error for Deps.Ready to return. /readyz, which needs no
// credentials, shows only Reason, a short class such as "database
// unreachable"; Err, which may name hosts, users or driver messages, goes to
// the log.
type NotReady struct {
	Reason string
	Err    error
}

func (e *NotReady) Error() string { return e.Reason + ": " + e.Err.Error() }

func (e *NotReady) Unwrap() error { return e.Err }

// readyLogEvery is how often a readiness failure that has not changed is
// logged again: a load balancer probes every few seconds.
const readyLogEvery = time.Minute

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	err := s.ready(ctx)
	reason := ""
	if err != nil {
		reason = "not ready"
		var nr *NotReady
		if errors.As(err, &nr) {
			reason = nr.Reason
		}
	}
	s.logReadiness(r.Context(), reason, err)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": reason})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// logReadiness logs a readiness failure at WARN, with its whole error, when
// its reason changes or readyLogEvery after it was last logged, and the
// return to ready once.
func (s *Server) logReadiness(ctx context.Context, reason string, err error) {
	s.readyMu.Lock()
	changed := reason != s.readyReason
	log := changed || err != nil && time.Since(s.readyLoggedAt) >= readyLogEvery
	if log {
		s.readyReason, s.readyLoggedAt = reason, time.Now()
	}
	s.readyMu.Unlock()
	switch {
	case !log:
	case err != nil:
		s.log.WarnContext(ctx, "not ready", "reason", reason, "error", err)
	default:
		s.log.InfoContext(ctx, "ready again")
	}
}

// dashboardConfig tells the dashboard SPA the publishable key of the built-in dashboard application.
func (s *Server) dashboardConfig(w http.ResponseWriter, r *http.Request) {
	app, err := s.db.Ent.Application.Query().Where(application.Dashboard(true)).Only(r.Context())
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the dashboard application does not exist yet; run trustgate serve once"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"publishableKey": app.PublishableKey})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type ctxRequestID struct{}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxRequestID{}).(string)
	return id
}

func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID.MatchString(id) {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxRequestID{}, id)))
	})
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(r.Context(), "panic", "panic", p, "stack", string(debug.Stack()))
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal_error"})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer (the CSV export
// sets a write deadline per batch).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// observe logs every request (without query strings, which may carry tokens) and records metrics.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		route := chi.RouteContext(r.Context()).RoutePattern()
		if route == "" {
			route = "unmatched"
		}
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		d := time.Since(start)
		s.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
		s.latency.WithLabelValues(route).Observe(d.Seconds())
		level := slog.LevelInfo
		if route == "/healthz" || route == "/readyz" || route == "/metrics" {
			level = slog.LevelDebug
		}
		s.log.Log(r.Context(), level, "request", "method", r.Method,
			"route", route, "path", r.URL.Path, "status", sw.status, "duration_ms", d.Milliseconds(),
			"ip", ClientIP(r, s.cfg.TrustedProxies))
	})
}
