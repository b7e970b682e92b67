package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/trustgate/trustgate/internal/database"
)

// SMSHookSender sends text messages by posting them as JSON to an HTTP
// endpoint (TRUSTGATE_SMS_URL) that hands them to an SMS provider:
//
//	{"to":"+15551234567","body":"…","kind":"verification_code"}
//
// Any 2xx answer counts as accepted. Redirects are not followed. It is safe
// for concurrent use.
type SMSHookSender struct {
	endpoint *url.URL
	client   *http.Client
}

// NewSMSHookSender returns a sender that posts to the http or https URL
// rawURL, each request bounded by DefaultTimeout.
func NewSMSHookSender(rawURL string) (*SMSHookSender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("SMS hook URL: " + database.URLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("SMS hook URL: scheme %q is not http or https", u.Scheme)
	}
	if database.CutShort(u) {
		return nil, errors.New("SMS hook URL: " + database.CutShortError)
	}
	if u.Host == "" {
		return nil, errors.New("SMS hook URL: missing host")
	}
	return &SMSHookSender{
		endpoint: u,
		client: &http.Client{
			Timeout: DefaultTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}, nil
}

// String returns the endpoint with any password and query (where tokens
// usually go) replaced by xxxxx, safe to log.
func (s *SMSHookSender) String() string { return RedactURL(s.endpoint) }

// RedactURL returns u with any password and the whole query (where tokens
// usually go) replaced by xxxxx, safe to log; a URL that parsed into the
// wrong parts (database.Misread) is not shown at all.
func RedactURL(u *url.URL) string {
	if database.Misread(u) {
		return database.MisreadURL
	}
	c := *u
	if c.RawQuery != "" {
		c.RawQuery = "xxxxx"
	}
	return c.Redacted()
}

// smsHookBody is the JSON the hook receives; the field order is the
// documented one.
type smsHookBody struct {
	To   string `json:"to"`
	Body string `json:"body"`
	Kind string `json:"kind"`
}

// Send posts m to the hook. Errors name the hook and its answer, never the
// message text.
func (s *SMSHookSender) Send(ctx context.Context, m Message) error {
	if m.Channel != ChannelSMS {
		return fmt.Errorf("%w: the SMS hook sends text messages, not %q messages", ErrDeliveryFailed, m.Channel)
	}
	if m.To == "" {
		return fmt.Errorf("%w: %s text message without a recipient", ErrDeliveryFailed, m.Kind)
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	// Keep <, > and & readable for the hook; the JSON is valid either way.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(smsHookBody{To: m.To, Body: m.Text, Kind: m.Kind}); err != nil {
		return fmt.Errorf("%w: encode %s text message: %w", ErrDeliveryFailed, m.Kind, err)
	}
	body.Truncate(body.Len() - 1) // Encode's trailing newline

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint.String(), &body)
	if err != nil {
		return fmt.Errorf("%w: SMS hook request: %w", ErrDeliveryFailed, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "trustgate")
	resp, err := s.client.Do(req)
	if err != nil {
		// url.Error would quote the endpoint, query token and all.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		if database.Misread(s.endpoint) {
			// The dial error names the misread host:port, a piece of the
			// token.
			return fmt.Errorf("%w: %s text message via SMS hook %s: the request failed", ErrDeliveryFailed, m.Kind, s)
		}
		return fmt.Errorf("%w: %s text message via SMS hook %s: %w", ErrDeliveryFailed, m.Kind, s, err)
	}
	defer resp.Body.Close()
	// Read a little so the connection can be reused, but never report it:
	// a hook may echo the request, code included.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%w: %s text message via SMS hook %s: answered %s", ErrDeliveryFailed, m.Kind, s, resp.Status)
	}
	return nil
}
