package httpserver

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/application"
	"github.com/trustgate/trustgate/internal/admin"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/request"
)

// Names of the cookies and headers of CONTRACT.md §2.
const (
	ClientCookie         = "__client"
	SessionCookie        = "__session"
	ClientTokenHeader    = "X-Client-Token"
	PublishableKeyHeader = "X-Publishable-Key"
	clientCookieMaxAge   = 365 * 24 * time.Hour
)

// ClientIP returns the caller's IP: the peer address, or, when the peer is a
// trusted proxy, the right-most X-Forwarded-For entry that is not itself a
// trusted proxy, or the left-most entry when every one is (a caller inside
// the proxies' network; as nginx's real_ip_recursive). The walk stops at an
// entry that is not an address, at the last address it read.
// X-Forwarded-For from anyone else is ignored, and entries left of the first
// untrusted one are never read, so a client cannot choose its address.
func ClientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	client := peer
	for i := len(hops) - 1; i >= 0 && isTrusted(client, trusted); i-- {
		a, ok := parseHop(strings.TrimSpace(hops[i]))
		if !ok {
			break
		}
		client = a.Unmap()
	}
	return client.String()
}

// parseHop reads one X-Forwarded-For entry: an address, an address and
// port (203.0.113.5:4711, [2001:db8::5]:4711), as some balancers write it,
// or an IPv6 address in brackets ([2001:db8::5], RFC 7239's form). An IPv6
// address with a zone (fe80::1%eth0) is not one: the zone names an
// interface of the host that wrote it, and netip takes any text there, which
// would go wherever the client IP goes (events, emails).
func parseHop(h string) (netip.Addr, bool) {
	a, ok := parseHopAddr(h)
	return a, ok && a.Zone() == ""
}

func parseHopAddr(h string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(h); err == nil {
		return a, true
	}
	if inner, ok := strings.CutPrefix(h, "["); ok && strings.HasSuffix(inner, "]") {
		a, err := netip.ParseAddr(strings.TrimSuffix(inner, "]"))
		return a, err == nil && a.Is6()
	}
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr(), true
	}
	return netip.Addr{}, false
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// credentials reads what a request authenticates with: a secret key (sk_…)
// in Authorization: Bearer, or else a session JWT from Bearer or the
// __session cookie (fromCookie tells which). The scheme is matched in any
// case (RFC 7235 §2.1).
func credentials(r *http.Request) (apiKey, sessionToken string, fromCookie bool) {
	const scheme = "Bearer "
	bearer := ""
	if h := r.Header.Get("Authorization"); len(h) >= len(scheme) && strings.EqualFold(h[:len(scheme)], scheme) {
		bearer = strings.TrimSpace(h[len(scheme):])
	}
	switch {
	case strings.HasPrefix(bearer, admin.KeyPrefix):
		return bearer, "", false
	case bearer != "":
		return "", bearer, false
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return "", c.Value, true
	}
	return "", "", false
}

// identify builds the request.Info for an API request.
func (s *Server) identify(w http.ResponseWriter, r *http.Request) *request.Info {
	ctx := r.Context()
	rq := &request.Info{
		IP:        ClientIP(r, s.cfg.TrustedProxies),
		UserAgent: request.UserAgent(r.UserAgent()),
		RequestID: requestID(ctx),
		// Response headers may still be set: resolvers run before the body is written.
		ResponseHeader: w.Header(),
	}
	key, token, _ := credentials(r)
	if key != "" {
		rq.BearerIsAPIKey = true
		p, err := s.svc.Admin.AuthenticateKey(ctx, key)
		if err == nil {
			rq.Principal = p
		}
		rq.AppErr = apierr.Newf(apierr.AuthenticationInvalid, "Frontend operations do not accept secret keys; send X-Publishable-Key and a session instead.")
		return rq
	}
	var sess *ent.Session
	if token != "" {
		rq.SessionToken = token
		sess, _ = s.svc.Sessions.Authenticate(ctx, token)
	}
	if key := r.Header.Get(PublishableKeyHeader); key != "" || sess == nil {
		s.resolveApp(ctx, rq, key)
	}
	if sess != nil && rq.AppErr == nil {
		// Without a publishable key, a session's application is the
		// request's: an operator's dashboard session works as the contract's
		// admin credential on its own, however many applications there are.
		// A key that names no application stays application_not_found.
		s.adoptSession(ctx, rq, sess)
	}
	rq.ClientToken = r.Header.Get(ClientTokenHeader)
	inHeader := rq.ClientToken != ""
	var cookieTokens []string
	if rq.ClientToken == "" {
		for _, c := range r.CookiesNamed(ClientCookie) {
			cookieTokens = append(cookieTokens, c.Value)
		}
		if len(cookieTokens) > 0 {
			rq.ClientToken = cookieTokens[0]
		}
	}
	rq.SendClientToken = func(token string) {
		// Set before gqlgen writes the body: resolvers run first. A second
		// token (a new client's, then the one its sign-in rotated to)
		// replaces the first rather than adding a second Set-Cookie.
		sendCookie, sendHeader := clientTokenChannels(r, s.cop.Check(r) == nil, inHeader)
		h := w.Header()
		if sendCookie {
			cookies := h.Values("Set-Cookie")
			h.Del("Set-Cookie")
			for _, c := range cookies {
				if !strings.HasPrefix(c, ClientCookie+"=") {
					h.Add("Set-Cookie", c)
				}
			}
			http.SetCookie(w, &http.Cookie{
				Name: ClientCookie, Value: token, Path: "/", HttpOnly: true, Secure: !s.cfg.Dev,
				SameSite: http.SameSiteLaxMode, MaxAge: int(clientCookieMaxAge.Seconds()),
			})
		}
		if sendHeader {
			h.Set(ClientTokenHeader, token)
		}
	}
	rq.ResolveClient = func(ctx context.Context) (*ent.Device, error) {
		app, err := rq.Application()
		if err != nil {
			return nil, err
		}
		if len(cookieTokens) > 1 {
			// Several __client cookies (one set for a parent domain): the
			// one that names a client, see device.Store.Current.
			if rq.ClientToken, err = s.devices.Current(ctx, cookieTokens); err != nil {
				return nil, err
			}
		}
		d, fresh, err := s.devices.Resolve(ctx, app.ID, rq.ClientToken, rq.IP, rq.UserAgent, s.admitClient)
		if err != nil {
			return nil, err
		}
		if fresh != "" {
			rq.IssueClientToken(fresh)
		}
		return d, nil
	}
	return rq
}

// adoptSession attaches an authenticated session: its application becomes the
// request's (a different publishable key is an error), and an operator's
// dashboard session also makes the caller an admin principal.
func (s *Server) adoptSession(ctx context.Context, rq *request.Info, sess *ent.Session) {
	if rq.App != nil && rq.App.ID != sess.ApplicationID {
		return
	}
	if rq.App == nil {
		app, err := s.db.Ent.Application.Get(ctx, sess.ApplicationID)
		if err != nil {
			return
		}
		s.setApp(rq, app)
	}
	rq.Session = sess
	if rq.App.Dashboard {
		if p, err := s.svc.Admin.OperatorPrincipal(ctx, sess); err == nil {
			rq.Principal = p
		}
	}
}

// resolveApp finds the application of a publishable key, or the only
// application besides the dashboard when no key is sent.
func (s *Server) resolveApp(ctx context.Context, rq *request.Info, key string) {
	var (
		app *ent.Application
		err error
	)
	var m miss
	if key != "" {
		var e appEntry
		var ok bool
		if e, ok, m = s.apps.get(key); ok {
			rq.App, rq.Settings, rq.AppErr = e.app, e.set, nil
			return
		}
		app, err = s.db.Ent.Application.Query().Where(application.PublishableKey(key)).Only(ctx)
	} else {
		var apps []*ent.Application
		apps, err = s.db.Ent.Application.Query().Where(application.Dashboard(false)).Limit(2).All(ctx)
		switch {
		case err != nil:
		case len(apps) == 1:
			app = apps[0]
		default:
			rq.AppErr = apierr.Newf(apierr.ApplicationNotFound, "Send X-Publishable-Key: this server has %s applications.", map[bool]string{true: "no", false: "several"}[len(apps) == 0])
			return
		}
	}
	if err != nil {
		if ent.IsNotFound(err) {
			rq.AppErr = apierr.New(apierr.ApplicationNotFound).WithParam("publishableKey")
		} else {
			rq.AppErr = err
		}
		return
	}
	s.setApp(rq, app)
	if key != "" && rq.AppErr == nil {
		s.apps.put(key, m, rq.App, rq.Settings)
	}
}

func (s *Server) setApp(rq *request.Info, app *ent.Application) {
	set, err := admin.Settings(app)
	if err != nil {
		rq.AppErr = err
		return
	}
	rq.App, rq.Settings, rq.AppErr = app, set, nil
}
