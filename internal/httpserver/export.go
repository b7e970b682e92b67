package httpserver

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/trustgate/trustgate/ent"
	"github.com/trustgate/trustgate/ent/signinevent"
	"github.com/trustgate/trustgate/graph"
	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/identifier"
	"github.com/trustgate/trustgate/internal/request"
	"github.com/trustgate/trustgate/policy"
)

// SignInEventsCSVPath is the streamed CSV export of an application's sign-in
// history (CONTRACT.md §4). It takes ?applicationId= and the filters of
// SignInEventWhereInput by the same names (from and to in RFC 3339).
const SignInEventsCSVPath = "/admin/sign-in-events.csv"

// exportBatchSize is the number of rows read per keyset query: large enough
// that query overhead is small against the rows, small enough that memory
// stays flat whatever the export's length.
const exportBatchSize = 5000

// exportWriteWindow is how long the client may take to accept one batch.
const exportWriteWindow = time.Minute

// signInEventColumns is the CSV header: the SignInEvent GraphQL field names.
var signInEventColumns = []string{"id", "at", "applicationId", "signInId", "userId", "identifier", "clientId",
	"ipAddress", "userAgent", "kind", "strategy", "outcome", "reason"}

// exportSignInEvents streams the sign-in events of one application matching
// the query's filters as CSV, newest first, under the same authorization as
// the signInEvents field: an sk_ key or an operator session holding
// events:read in that application. Denials are audited, and so is every export.
func (s *Server) exportSignInEvents(w http.ResponseWriter, r *http.Request) {
	rq := &request.Info{IP: ClientIP(r, s.cfg.TrustedProxies), UserAgent: r.UserAgent(), RequestID: requestID(r.Context())}
	ctx := request.With(r.Context(), rq)
	p, err := s.adminPrincipal(ctx, r)
	if err != nil {
		s.writeAPIError(ctx, w, err)
		return
	}
	rq.Principal = p
	q := r.URL.Query()
	for name, values := range q {
		// As noNUL in GraphQL: PostgreSQL can compare no such text.
		if slices.ContainsFunc(values, func(v string) bool { return strings.ContainsRune(v, 0) }) {
			s.writeAPIError(ctx, w, apierr.Invalid(name, "text may not hold the NUL character (U+0000)"))
			return
		}
	}
	appID := q.Get("applicationId")
	if appID == "" {
		s.writeAPIError(ctx, w, apierr.Missing("applicationId"))
		return
	}
	if err := s.resolver.Authorize(ctx, appID, policy.EventsRead); err != nil {
		s.writeAPIError(ctx, w, err)
		return
	}
	// A misspelt filter would otherwise export the whole history. After
	// the authorization, so that a principal without it is refused (and
	// audited) whatever else it sent.
	for name := range q {
		if !slices.Contains(exportParams, name) {
			s.writeAPIError(ctx, w, apierr.Invalid(name, "not a parameter of this export (use "+strings.Join(exportParams, ", ")+")"))
			return
		}
	}
	where, err := eventFilters(q)
	if err != nil {
		s.writeAPIError(ctx, w, err)
		return
	}

	rc := http.NewResponseController(w)
	cw := csv.NewWriter(w)
	row := make([]string, len(signInEventColumns))
	rows, started := 0, false
	// begin audits the export and sends the 200 and the CSV header once the
	// filters have proved valid and the first batch has been read, so that
	// those errors still get a proper error response.
	begin := func() error {
		if started {
			return nil
		}
		started = true
		if err := s.svc.Admin.RecordExport(ctx, appID, filterParams(q)); err != nil {
			started = false
			return err
		}
		h := w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="sign-in-events-%s-%s.csv"`,
			safeFilenamePart(appID), s.resolver.Now().UTC().Format("20060102T150405Z")))
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		return cw.Write(signInEventColumns)
	}
	err = s.resolver.EachSignInEventBatch(ctx, appID, where, exportBatchSize, func(batch []*ent.SignInEvent) error {
		if err := begin(); err != nil {
			return err
		}
		// A slow client may take long over the whole export, but not over one batch.
		_ = rc.SetWriteDeadline(time.Now().Add(exportWriteWindow))
		for _, e := range batch {
			eventRow(row, e)
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		rows += len(batch)
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		_ = rc.Flush()
		return nil
	})
	if err == nil {
		if err = begin(); err == nil { // no rows: the header alone
			cw.Flush()
			err = cw.Error()
		}
	}
	switch {
	case err == nil:
	case !started:
		s.writeAPIError(ctx, w, err)
	default:
		if ctx.Err() == nil {
			s.log.ErrorContext(ctx, "sign-in event export failed", "application_id", appID, "rows", rows, "error", err)
		}
		// The 200 is out: breaking the connection is the only way left to
		// tell the client the file is incomplete.
		panic(http.ErrAbortHandler)
	}
}

// adminPrincipal authenticates an admin request outside GraphQL: an sk_ key
// in Authorization: Bearer, or an operator's dashboard session (Bearer JWT or
// the __session cookie). A session of any other user is refused, as it is by
// @can, and so is a cookie another site may have made the browser send
// (sameOriginCookie): these routes answer GET, which a link can start.
func (s *Server) adminPrincipal(ctx context.Context, r *http.Request) (*request.Principal, error) {
	key, token, fromCookie := credentials(r)
	if key != "" {
		return s.svc.Admin.AuthenticateKey(ctx, key)
	}
	if fromCookie {
		if err := sameOriginCookie(r); err != nil {
			return nil, err
		}
	}
	if token == "" {
		return nil, apierr.Newf(apierr.AuthenticationInvalid, "Send Authorization: Bearer sk_… or sign in to the dashboard.")
	}
	sess, err := s.svc.Sessions.Authenticate(ctx, token)
	if err != nil {
		return nil, err
	}
	return s.svc.Admin.OperatorPrincipal(ctx, sess)
}

// eventFilters reads SignInEventWhereInput from query parameters of the same names.
func eventFilters(q url.Values) (*graph.SignInEventWhereInput, error) {
	w := &graph.SignInEventWhereInput{}
	str := func(name string) *string {
		if v := q.Get(name); v != "" {
			return &v
		}
		return nil
	}
	w.UserID, w.Identifier, w.ClientID, w.Kind, w.IPAddress = str("userId"), str("identifier"), str("clientId"), str("kind"), str("ipAddress")
	if v := str("outcome"); v != nil {
		o := signinevent.Outcome(*v)
		if err := signinevent.OutcomeValidator(o); err != nil {
			return nil, apierr.Invalid("outcome", "one of success, failure, challenge, info")
		}
		w.Outcome = &o
	}
	for name, dst := range map[string]**time.Time{"from": &w.From, "to": &w.To} {
		if v := str(name); v != nil {
			t, err := time.Parse(time.RFC3339Nano, *v)
			if err != nil {
				return nil, apierr.Invalid(name, "an RFC 3339 time such as 2026-11-22T00:00:00Z")
			}
			*dst = &t
		}
	}
	return w, nil
}

// exportFilters are the query parameters that filter an export, named as
// the fields of SignInEventWhereInput.
var exportFilters = []string{"userId", "identifier", "clientId", "kind", "outcome", "ipAddress", "from", "to"}

// exportParams are every query parameter an export takes.
var exportParams = append([]string{"applicationId"}, exportFilters...)

// filterParams are the filters an export used, for its audit event.
func filterParams(q url.Values) map[string]string {
	out := map[string]string{}
	for _, name := range exportFilters {
		if v := q.Get(name); v != "" {
			out[name] = v
		}
	}
	// Masked as the history masks identifiers: the audit log keeps who
	// exported what, not a plain address the history itself never stores.
	if v, ok := out["identifier"]; ok {
		out["identifier"] = identifier.Mask(v)
	}
	return out
}

// eventRow fills row with e's cells.
func eventRow(row []string, e *ent.SignInEvent) {
	opt := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	row[0] = e.ID
	row[1] = e.At.UTC().Format(time.RFC3339Nano)
	row[2] = e.ApplicationID
	row[3] = opt(e.SignInID)
	row[4] = opt(e.UserID)
	row[5] = e.Identifier
	row[6] = opt(e.ClientID)
	row[7] = e.IPAddress
	row[8] = e.UserAgent
	row[9] = e.Kind
	row[10] = opt(e.Strategy)
	row[11] = string(e.Outcome)
	row[12] = opt(e.Reason)
	for i, c := range row {
		row[i] = neutralizeFormula(c)
	}
}

// formulaStart holds the characters a spreadsheet reads as the start of a
// formula.
const formulaStart = "=+-@"

// formulaLike reports whether a spreadsheet may read c as a formula: c
// starts with = + - or @, or with a tab or a line break (OWASP CSV
// injection), or with any whitespace or control characters followed by
// one of = + - @, which spreadsheets skip before a formula.
func formulaLike(c string) bool {
	if c == "" {
		return false
	}
	if strings.IndexByte("\t\r\n", c[0]) >= 0 {
		return true
	}
	c = strings.TrimLeftFunc(c, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
	return c != "" && strings.IndexByte(formulaStart, c[0]) >= 0
}

// cellBreaks are where a spreadsheet may start a new cell inside one CSV
// field whatever the quoting: ';' where it is the list separator (as in many
// locales), a tab in a tab-delimited import.
const cellBreaks = ";\t"

// neutralizeFormula keeps a spreadsheet from running a cell as a formula
// (OWASP CSV injection): a cell formulaLike reads as one gets a leading
// single quote, and so does every such part after one of cellBreaks. User
// agents and typed identifiers are attacker-controlled (HTTP allows a tab in
// a header), so every cell is checked.
func neutralizeFormula(c string) string {
	if formulaLike(c) {
		c = "'" + c
	}
	if !strings.ContainsAny(c, cellBreaks) {
		return c
	}
	var b strings.Builder
	for i := 0; i < len(c); i++ {
		b.WriteByte(c[i])
		if strings.IndexByte(cellBreaks, c[i]) >= 0 && formulaLike(c[i+1:]) {
			b.WriteByte('\'')
		}
	}
	return b.String()
}

// safeFilenamePart keeps letters, digits, '_' and '-' of an id for a file name.
func safeFilenamePart(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, s)
}

// writeAPIError answers a non-GraphQL request with the error in the shape of
// a GraphQL error (errors[].extensions.code …), so clients parse both alike.
func (s *Server) writeAPIError(ctx context.Context, w http.ResponseWriter, err error) {
	e, ok := apierr.As(err)
	if !ok {
		s.log.ErrorContext(ctx, "internal error", "error", err)
		e = apierr.New(apierr.Internal)
	}
	writeError(w, e.HTTPStatus(), e)
}

// writeError writes e, with the HTTP status status, in the shape of a
// GraphQL error response.
func writeError(w http.ResponseWriter, status int, e *apierr.Error) {
	ext := e.Extensions()
	ext["status"] = status
	writeJSON(w, status, map[string]any{"errors": []map[string]any{{"message": e.Message, "extensions": ext}}})
}
