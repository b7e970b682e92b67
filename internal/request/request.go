// Package request carries what the transport learned about a request (the
// application, the client device, the caller's IP and user agent, the signed-in
// session, the admin principal) to the domain packages through the context.
package request

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/settings"
)

// Info describes one request.
type Info struct {
	// IP is the client IP (X-Forwarded-For only from trusted proxies).
	IP        string
	UserAgent string
	RequestID string
	// ResponseHeader lets domain code set response headers (Retry-After).
	ResponseHeader http.Header

	// App is the application named by the publishable key, nil if none resolved.
	App      *ent.Application
	Settings settings.Settings
	// AppErr explains why App is nil (application_not_found).
	AppErr error

	// ClientToken is the raw client token the caller presented, if any.
	ClientToken string
	// ResolveClient finds or creates the client device on first use.
	ResolveClient func(ctx context.Context) (*ent.Device, error)
	// SendClientToken puts a client token in the response (the __client
	// cookie and X-Client-Token); nil outside HTTP.
	SendClientToken func(token string)

	// SessionToken is the raw session JWT presented, if any.
	SessionToken string
	// Session is the session the token proved, once authenticated.
	Session *ent.Session
	// Principal is the admin caller, if authenticated as one.
	Principal *Principal
	// BearerIsAPIKey records that an sk_ key was presented.
	BearerIsAPIKey bool

	clientOnce sync.Once
	client     *ent.Device
	clientErr  error

	retryMu sync.Mutex
}

// SetRetryAfter sets the response's Retry-After header to secs, unless an
// error answered earlier in the request (another root field) set a longer
// wait: every error that tells the caller when to retry
// (meta.retryAfterSeconds) says it in the header too. Without a response
// (outside HTTP) it does nothing.
func (i *Info) SetRetryAfter(secs int) {
	if i == nil || i.ResponseHeader == nil || secs <= 0 {
		return
	}
	i.retryMu.Lock()
	defer i.retryMu.Unlock()
	if cur, err := strconv.Atoi(i.ResponseHeader.Get("Retry-After")); err == nil && cur >= secs {
		return
	}
	i.ResponseHeader.Set("Retry-After", strconv.Itoa(secs))
}

// IssueClientToken makes token the request's client token from now on and
// sends it in the response: a new client's, or one that replaced the
// client's token when a session started on it (device.Rotate).
func (i *Info) IssueClientToken(token string) {
	i.ClientToken = token
	if i.SendClientToken != nil {
		i.SendClientToken(token)
	}
}

// MaxUserAgent is the longest user agent kept; longer ones are cut (at a rune boundary).
const MaxUserAgent = 512

// UserAgent returns ua cut to MaxUserAgent bytes without splitting a character.
func UserAgent(ua string) string {
	if len(ua) <= MaxUserAgent {
		return ua
	}
	return strings.ToValidUTF8(ua[:MaxUserAgent], "")
}

// Principal is an authenticated admin caller: an API key or a dashboard operator.
type Principal struct {
	// Subject is what role assignments name: the API key id or the operator's email.
	Subject string
	// Actor is how the audit log names the caller ("key:ak_…", "operator:a@b.c").
	Actor string
	// Operator is set for dashboard operators.
	Operator *ent.Operator
	// APIKey is set for API keys.
	APIKey *ent.APIKey
}

type ctxKey struct{}

// With returns ctx carrying info.
func With(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, ctxKey{}, info)
}

// From returns the request info of ctx; a zero Info when there is none (tests, jobs).
func From(ctx context.Context) *Info {
	if info, ok := ctx.Value(ctxKey{}).(*Info); ok {
		return info
	}
	return &Info{}
}

// Application returns the request's application or application_not_found.
func (i *Info) Application() (*ent.Application, error) {
	if i.App != nil {
		return i.App, nil
	}
	if i.AppErr != nil {
		return nil, i.AppErr
	}
	return nil, apierr.New(apierr.ApplicationNotFound)
}

// Client returns the request's client device, creating it on first use.
func (i *Info) Client(ctx context.Context) (*ent.Device, error) {
	if i.ResolveClient == nil {
		if i.AppErr != nil {
			return nil, i.AppErr // e.g. a secret key on a frontend operation
		}
		return nil, apierr.New(apierr.ClientStateInvalid)
	}
	i.clientOnce.Do(func() { i.client, i.clientErr = i.ResolveClient(ctx) })
	return i.client, i.clientErr
}
