package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Strategy names used in settings.
const (
	StrategyPassword   = "password"
	StrategyEmailCode  = "email_code"
	StrategyPhoneCode  = "phone_code"
	StrategyTOTP       = "totp"
	StrategyBackupCode = "backup_code"
	// The password reset first factors: a code by email or SMS, then a new
	// password. Offered wherever passwords are enabled.
	StrategyResetPasswordEmailCode = "reset_password_email_code"
	StrategyResetPasswordPhoneCode = "reset_password_phone_code"
)

// ResetStrategy reports whether strategy is a password reset first factor.
func ResetStrategy(strategy string) bool {
	return strategy == StrategyResetPasswordEmailCode || strategy == StrategyResetPasswordPhoneCode
}

// Settings are the effective settings of one application. The JSON names are
// the GraphQL AppSettings field names; they are also the keys of stored overrides.
type Settings struct {
	ClientTrustEnabled    bool     `json:"clientTrustEnabled"`
	EmailEnabled          bool     `json:"emailEnabled"`
	PhoneEnabled          bool     `json:"phoneEnabled"`
	PasswordEnabled       bool     `json:"passwordEnabled"`
	UsernameEnabled       bool     `json:"usernameEnabled"`
	FirstFactors          []string `json:"firstFactors"`
	SecondFactors         []string `json:"secondFactors"`
	EnumerationProtection bool     `json:"enumerationProtection"`
	LockoutMaxAttempts    int      `json:"lockoutMaxAttempts"`
	// LockoutDurationSeconds nil means locked until an admin unlocks.
	LockoutDurationSeconds *int `json:"lockoutDurationSeconds"`
	CodeTTLSeconds         int  `json:"codeTtlSeconds"`
	SessionLifetimeSeconds int  `json:"sessionLifetimeSeconds"`
	// SessionInactivityTimeoutSeconds nil means no inactivity timeout (the
	// default, as Clerk's); otherwise a session expires once that long
	// passes without a session token minted for it, within its lifetime.
	SessionInactivityTimeoutSeconds *int     `json:"sessionInactivityTimeoutSeconds"`
	SignInLifetimeSeconds           int      `json:"signInLifetimeSeconds"`
	AllowedOrigins                  []string `json:"allowedOrigins"`
	NotifyNewDevice                 bool     `json:"notifyNewDevice"`
	// NotifySecurityChanges emails the user's primary address when how the
	// account signs in changes: the password (changed or reset), a second
	// factor added or removed, new backup codes, the primary address (told
	// to the old one), a sign-in with a backup code; and when a sign-in
	// passed the first factor but failed the second, once per sign-in. On
	// by default.
	NotifySecurityChanges bool `json:"notifySecurityChanges"`
	EventRetentionDays    int  `json:"eventRetentionDays"`

	// SingleSessionMode allows one signed-in session per client, as Clerk's
	// single-session mode: signInCreate and signUpCreate on a client that
	// holds one answer session_exists. Off, a client may hold several
	// (Clerk's multi-session mode).
	SingleSessionMode bool `json:"singleSessionMode"`

	// Rate limits (Clerk's budgets by default): per client IP per 10 seconds,
	// and per identifier per minute.
	RateLimitSignInsPerIP        int `json:"rateLimitSignInsPerIp"`
	RateLimitAttemptsPerIP       int `json:"rateLimitAttemptsPerIp"`
	RateLimitCodeSendsPerIP      int `json:"rateLimitCodeSendsPerIp"`
	RateLimitIdentifierPerMinute int `json:"rateLimitIdentifierPerMinute"`
	// RateLimitMessagesPerRecipientPerHour bounds the codes and notices one
	// email address or phone number gets from the application in an hour,
	// whoever asks and from however many IPs: mail bombing and SMS pumping.
	RateLimitMessagesPerRecipientPerHour int `json:"rateLimitMessagesPerRecipientPerHour"`

	// origins holds AllowedOrigins in NormalizeOrigin's form, computed at
	// most once for the settings Effective loaded and shared by their
	// copies (each request's), so that OriginAllowed does not parse every
	// entry on every cross-origin request.
	origins *normalizedOrigins
}

// normalizedOrigins memoises NormalizeOrigin over one AllowedOrigins slice.
type normalizedOrigins struct {
	of   []string
	once sync.Once
	list []string
}

// CodeTTL is the lifetime of one-time codes.
func (s *Settings) CodeTTL() time.Duration { return time.Duration(s.CodeTTLSeconds) * time.Second }

// codeTTLError is the refusal of a codeTtlSeconds out of range.
var codeTTLError = &FieldError{"codeTtlSeconds", "must be between 60 and 600 (a one-time code is valid at most 10 minutes, NIST SP 800-63B)"}

// MaxCodeTTL is the longest a one-time code is valid: NIST SP 800-63B
// 5.1.3.2 and ASVS (4: 2.7.2, 5: 6.5.5) allow at most 10 minutes.
const MaxCodeTTL = 10 * time.Minute

// SessionLifetime is the maximum lifetime of a session.
func (s *Settings) SessionLifetime() time.Duration {
	return time.Duration(s.SessionLifetimeSeconds) * time.Second
}

// SessionInactivityTimeout is how long a session may go without activity
// before it expires; zero when there is no inactivity timeout.
func (s *Settings) SessionInactivityTimeout() time.Duration {
	if s.SessionInactivityTimeoutSeconds == nil {
		return 0
	}
	return time.Duration(*s.SessionInactivityTimeoutSeconds) * time.Second
}

// SignInLifetime is how long an unfinished sign-in or sign-up lives before it is abandoned.
func (s *Settings) SignInLifetime() time.Duration {
	return time.Duration(s.SignInLifetimeSeconds) * time.Second
}

// LockoutDuration returns the lockout duration and whether it is bounded.
func (s *Settings) LockoutDuration() (time.Duration, bool) {
	if s.LockoutDurationSeconds == nil {
		return 0, false
	}
	return time.Duration(*s.LockoutDurationSeconds) * time.Second, true
}

// FirstFactorEnabled reports whether strategy is an enabled first factor.
func (s *Settings) FirstFactorEnabled(strategy string) bool {
	return slices.Contains(s.FirstFactors, strategy)
}

// SecondFactorEnabled reports whether strategy is an enabled MFA method.
func (s *Settings) SecondFactorEnabled(strategy string) bool {
	return slices.Contains(s.SecondFactors, strategy)
}

// OriginAllowed reports whether origin (scheme://host[:port]) is in AllowedOrigins.
func (s *Settings) OriginAllowed(origin string) bool {
	return slices.Contains(s.normalizedOrigins(), NormalizeOrigin(origin))
}

// normalizedOrigins returns AllowedOrigins in NormalizeOrigin's form: the
// memo Effective set up, while AllowedOrigins is still the slice it was set
// up for, else computed afresh.
func (s *Settings) normalizedOrigins() []string {
	n := s.origins
	if n == nil || len(n.of) != len(s.AllowedOrigins) || len(n.of) == 0 || &n.of[0] != &s.AllowedOrigins[0] {
		return normalizeAll(s.AllowedOrigins)
	}
	n.once.Do(func() { n.list = normalizeAll(n.of) })
	return n.list
}

func normalizeAll(list []string) []string {
	out := make([]string, len(list))
	for i, o := range list {
		out[i] = NormalizeOrigin(o)
	}
	return out
}

// NormalizeOrigin is the form in which origins are compared: CanonicalOrigin's
// where origin is one, else (an Origin header no listed origin can equal, or
// an entry stored before entries were checked) lower case without a
// trailing slash.
func NormalizeOrigin(origin string) string {
	if c, err := CanonicalOrigin(origin); err == nil {
		return c
	}
	return strings.TrimRight(strings.ToLower(origin), "/")
}

// MaxAllowedOrigins is the most entries allowedOrigins may hold.
const MaxAllowedOrigins = 100

// maxOriginLen bounds one allowedOrigins entry: a scheme, a host name of at
// most 253 characters and a port.
const maxOriginLen = 300

// CanonicalOrigin returns origin as a browser writes it in an Origin header:
// scheme://host[:port] with an http or https scheme, in lower case, without
// the scheme's default port or a trailing slash (HTTPS://App.example.com:443/
// is https://app.example.com). It refuses, saying why, what no Origin header
// can equal: user info, a path, a query or a fragment, another scheme, no
// host, a port out of range, a host outside ASCII (browsers send the xn--
// form) or with a wildcard.
func CanonicalOrigin(origin string) (string, error) {
	if len(origin) > maxOriginLen {
		return "", fmt.Errorf("longer than %d characters", maxOriginLen)
	}
	u, err := url.Parse(origin)
	switch {
	case err != nil:
		return "", errors.New("not a URL")
	case u.Scheme != "https" && u.Scheme != "http":
		return "", errors.New("the scheme must be https:// or http://")
	case u.Opaque != "":
		return "", errors.New("no // after the scheme")
	case u.User != nil:
		return "", errors.New("it has user info (user:password@), which an Origin never carries")
	case u.Path != "" && u.Path != "/":
		return "", errors.New("it has a path, which an Origin never carries")
	case u.RawQuery != "" || u.ForceQuery:
		return "", errors.New("it has a query (?), which an Origin never carries")
	case u.Fragment != "" || strings.Contains(origin, "#"):
		return "", errors.New("it has a fragment (#), which an Origin never carries")
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "" {
		return "", errors.New("it has no host")
	}
	if strings.Contains(host, ":") { // an IPv6 literal, written as browsers write it
		a, err := netip.ParseAddr(host)
		if err != nil || a.Zone() != "" || !a.Is6() {
			return "", errors.New("not a valid IPv6 address")
		}
		host = "[" + a.String() + "]"
	} else {
		for _, r := range host {
			switch {
			case r == '*':
				return "", errors.New("wildcards are not supported: list each origin")
			case r > unicode.MaxASCII:
				return "", errors.New("write the host in its ASCII form (xn--…), as browsers send it")
			case (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '.' && r != '_':
				return "", fmt.Errorf("%q is not allowed in a host name", r)
			}
		}
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", errors.New("the port must be between 1 and 65535")
		}
		if (u.Scheme == "https" && n == 443) || (u.Scheme == "http" && n == 80) {
			port = ""
		} else {
			port = strconv.Itoa(n)
		}
	}
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host, nil
}

// canonicalOrigins returns list with each entry in CanonicalOrigin's form,
// without duplicates, or the error of the first entry that is not an origin.
func canonicalOrigins(list []string) ([]string, *FieldError) {
	if len(list) > MaxAllowedOrigins {
		return nil, &FieldError{"allowedOrigins", fmt.Sprintf("at most %d origins", MaxAllowedOrigins)}
	}
	out := make([]string, 0, len(list))
	for _, o := range list {
		c, err := CanonicalOrigin(o)
		if err != nil {
			return nil, &FieldError{"allowedOrigins", fmt.Sprintf("%q is not an origin like https://app.example.com: %v", o, err)}
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// base are the defaults before any dated update.
func base() Settings {
	hour := 3600
	return Settings{
		ClientTrustEnabled:           false,
		EmailEnabled:                 true,
		PhoneEnabled:                 true,
		PasswordEnabled:              true,
		UsernameEnabled:              false,
		FirstFactors:                 []string{StrategyPassword, StrategyEmailCode, StrategyPhoneCode},
		SecondFactors:                []string{StrategyTOTP, StrategyPhoneCode, StrategyBackupCode},
		EnumerationProtection:        false,
		LockoutMaxAttempts:           100,
		LockoutDurationSeconds:       &hour,
		CodeTTLSeconds:               600,
		SessionLifetimeSeconds:       7 * 24 * 3600,
		SignInLifetimeSeconds:        2 * 3600,
		AllowedOrigins:               []string{},
		NotifyNewDevice:              true,
		NotifySecurityChanges:        true,
		EventRetentionDays:           90,
		RateLimitSignInsPerIP:        5,
		RateLimitAttemptsPerIP:       3,
		RateLimitCodeSendsPerIP:      5,
		RateLimitIdentifierPerMinute: 10,

		RateLimitMessagesPerRecipientPerHour: 10,
	}
}

// Update is one dated change of defaults, like an entry of Clerk's Updates page.
type Update struct {
	Key         string
	Title       string
	Description string
	// Date: applications created on or after it get the update by default.
	Date time.Time
	// Fields are the settings the update changes; opting in clears explicit
	// overrides of them so the update's values take effect.
	Fields []string
	apply  func(*Settings)
}

// Updates is the registry of dated updates, oldest first.
var Updates = []Update{
	{
		Key:         "client_trust",
		Title:       "Client Trust",
		Description: "Password sign-ins from a new device need a one-time code sent to the user's verified email (or phone when email is disabled), unless the user has MFA.",
		Date:        time.Date(2025, 11, 14, 0, 0, 0, 0, time.UTC),
		Fields:      []string{"clientTrustEnabled"},
		apply:       func(s *Settings) { s.ClientTrustEnabled = true },
	},
	{
		Key:         "lockout_10_attempts",
		Title:       "Lockout after 10 failed attempts",
		Description: "Users are locked for one hour after 10 failed sign-in attempts instead of 100.",
		Date:        time.Date(2026, 7, 6, 0, 0, 0, 0, time.UTC),
		Fields:      []string{"lockoutMaxAttempts"},
		apply:       func(s *Settings) { s.LockoutMaxAttempts = 10 },
	},
}

// FindUpdate returns the update with the given key.
func FindUpdate(key string) (Update, bool) {
	for _, u := range Updates {
		if u.Key == key {
			return u, true
		}
	}
	return Update{}, false
}

// UpdateOn reports whether update u is on for an application created at
// createdAt with the given explicit choices, and whether that was explicit.
func UpdateOn(u Update, createdAt time.Time, choices map[string]bool) (on, explicit bool) {
	if v, ok := choices[u.Key]; ok {
		return v, true
	}
	return !createdAt.Before(u.Date), false
}

// Defaults are the settings of an application created at createdAt, with the
// given explicit update choices, before any admin override.
func Defaults(createdAt time.Time, choices map[string]bool) Settings {
	s := base()
	for _, u := range Updates {
		if on, _ := UpdateOn(u, createdAt, choices); on {
			u.apply(&s)
		}
	}
	return s
}

// Effective computes an application's settings from its creation date, update
// choices and stored overrides (AppSettings field name → JSON value).
func Effective(createdAt time.Time, choices map[string]bool, overrides map[string]json.RawMessage) (Settings, error) {
	s := Defaults(createdAt, choices)
	if len(overrides) == 0 {
		return s, nil
	}
	raw, err := json.Marshal(overrides)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("settings: decoding stored overrides: %w", err)
	}
	// A lifetime stored before MaxCodeTTL counts as MaxCodeTTL, read and
	// validated alike.
	s.CodeTTLSeconds = min(s.CodeTTLSeconds, int(MaxCodeTTL.Seconds()))
	if s.AllowedOrigins == nil {
		s.AllowedOrigins = []string{}
	}
	s.origins = &normalizedOrigins{of: s.AllowedOrigins}
	return s, nil
}

// MaxSignInLifetime is the longest signInLifetimeSeconds: a sign-in began
// at most this long before it expires.
const MaxSignInLifetime = 7 * 24 * time.Hour

// FieldError is a validation failure of one settings field.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

var (
	knownFirstFactors  = []string{StrategyPassword, StrategyEmailCode, StrategyPhoneCode}
	knownSecondFactors = []string{StrategyTOTP, StrategyPhoneCode, StrategyBackupCode}
)

// Validate checks a complete settings value; it returns the first problem.
func Validate(s *Settings) *FieldError {
	if !s.EmailEnabled && !s.PhoneEnabled && !s.UsernameEnabled {
		return &FieldError{"emailEnabled", "at least one identifier (email, phone or username) must stay enabled"}
	}
	for _, f := range s.FirstFactors {
		if !slices.Contains(knownFirstFactors, f) {
			return &FieldError{"firstFactors", fmt.Sprintf("unknown strategy %q (allowed: %s)", f, strings.Join(knownFirstFactors, ", "))}
		}
	}
	if len(s.FirstFactors) == 0 {
		return &FieldError{"firstFactors", "at least one first factor is needed"}
	}
	if s.FirstFactorEnabled(StrategyPassword) != s.PasswordEnabled {
		return &FieldError{"passwordEnabled", "passwordEnabled and the password first factor must agree"}
	}
	if s.FirstFactorEnabled(StrategyEmailCode) && !s.EmailEnabled {
		return &FieldError{"firstFactors", "email_code needs emailEnabled"}
	}
	if s.FirstFactorEnabled(StrategyPhoneCode) && !s.PhoneEnabled {
		return &FieldError{"firstFactors", "phone_code needs phoneEnabled"}
	}
	// Without passwords, every identifier a user may sign in with needs its
	// own code: an email address with only phone codes lists nothing under
	// enumeration protection (and nothing for an account without a phone),
	// so its users could never sign in.
	if !s.PasswordEnabled && s.EmailEnabled && !s.FirstFactorEnabled(StrategyEmailCode) {
		return &FieldError{"firstFactors", "without passwords, email addresses need the email_code first factor (or turn email off)"}
	}
	if !s.PasswordEnabled && s.PhoneEnabled && !s.FirstFactorEnabled(StrategyPhoneCode) {
		return &FieldError{"firstFactors", "without passwords, phone numbers need the phone_code first factor (or turn phone off)"}
	}
	for _, f := range s.SecondFactors {
		if !slices.Contains(knownSecondFactors, f) {
			return &FieldError{"secondFactors", fmt.Sprintf("unknown strategy %q (allowed: %s)", f, strings.Join(knownSecondFactors, ", "))}
		}
	}
	if s.SecondFactorEnabled(StrategyBackupCode) && !s.SecondFactorEnabled(StrategyTOTP) && !s.SecondFactorEnabled(StrategyPhoneCode) {
		return &FieldError{"secondFactors", "backup_code needs another second factor (totp or phone_code)"}
	}
	if s.SecondFactorEnabled(StrategyPhoneCode) && !s.PhoneEnabled {
		return &FieldError{"secondFactors", "phone_code needs phoneEnabled"}
	}
	if s.EnumerationProtection && s.UsernameEnabled && !s.PasswordEnabled {
		return &FieldError{"enumerationProtection", "with enumeration protection a username lists only the password factor " +
			"(an account's addresses would tell it apart from an unknown username): enable passwords or turn usernames off"}
	}
	if s.ClientTrustEnabled && !s.EmailEnabled && !s.PhoneEnabled {
		return &FieldError{"clientTrustEnabled", "Client Trust needs email or phone to send codes to"}
	}
	if s.LockoutMaxAttempts < 5 || s.LockoutMaxAttempts > 1000 {
		return &FieldError{"lockoutMaxAttempts", "must be between 5 and 1000"}
	}
	if d := s.LockoutDurationSeconds; d != nil && (*d < 60 || *d > 10*365*24*3600) {
		return &FieldError{"lockoutDurationSeconds", "must be between 60 seconds and 10 years, or null for until unlocked"}
	}
	if s.CodeTTLSeconds < 60 || s.CodeTTLSeconds > int(MaxCodeTTL.Seconds()) {
		return codeTTLError
	}
	if s.SessionLifetimeSeconds < 300 || s.SessionLifetimeSeconds > 365*24*3600 {
		return &FieldError{"sessionLifetimeSeconds", "must be between 300 seconds and 365 days"}
	}
	if d := s.SessionInactivityTimeoutSeconds; d != nil && (*d < 300 || *d > 365*24*3600) {
		return &FieldError{"sessionInactivityTimeoutSeconds", "must be between 300 seconds and 365 days, or null for off"}
	}
	if s.SignInLifetimeSeconds < 300 || s.SignInLifetimeSeconds > int(MaxSignInLifetime.Seconds()) {
		return &FieldError{"signInLifetimeSeconds", "must be between 300 seconds and 7 days"}
	}
	if s.EventRetentionDays < 1 || s.EventRetentionDays > 3650 {
		return &FieldError{"eventRetentionDays", "must be between 1 and 3650"}
	}
	for name, v := range map[string]int{
		"rateLimitSignInsPerIp": s.RateLimitSignInsPerIP, "rateLimitAttemptsPerIp": s.RateLimitAttemptsPerIP,
		"rateLimitCodeSendsPerIp": s.RateLimitCodeSendsPerIP, "rateLimitIdentifierPerMinute": s.RateLimitIdentifierPerMinute,
		"rateLimitMessagesPerRecipientPerHour": s.RateLimitMessagesPerRecipientPerHour,
	} {
		if v < 1 || v > 100000 {
			return &FieldError{name, "must be between 1 and 100000"}
		}
	}
	// allowedOrigins is checked by Apply where a patch gives it, not here:
	// entries stored before entries were checked (NormalizeOrigin still
	// matches them) must not make every later change of other settings fail.
	return nil
}

// Apply merges a patch (AppSettings field name → JSON value, JSON null allowed
// for nullable fields) into the stored overrides, validates the result and
// returns the new overrides and settings. Unknown field names are rejected.
func Apply(createdAt time.Time, choices map[string]bool, overrides, patch map[string]json.RawMessage) (map[string]json.RawMessage, Settings, error) {
	known := fieldNames()
	next := make(map[string]json.RawMessage, len(overrides)+len(patch))
	for k, v := range overrides {
		next[k] = v
	}
	for k, v := range patch {
		if !slices.Contains(known, k) {
			return nil, Settings{}, &FieldError{k, "unknown setting"}
		}
		if string(v) == "null" && !slices.Contains(nullable, k) {
			return nil, Settings{}, &FieldError{k, "cannot be null"}
		}
		// Checked before the merge: reading clamps a stored lifetime to
		// MaxCodeTTL (Effective), which would take a new one silently.
		var ttl int
		if k == "codeTtlSeconds" && json.Unmarshal(v, &ttl) == nil && ttl > int(MaxCodeTTL.Seconds()) {
			return nil, Settings{}, codeTTLError
		}
		if k == "allowedOrigins" {
			// Stored as browsers send them, so that matching is exact.
			var list []string
			if err := json.Unmarshal(v, &list); err != nil {
				return nil, Settings{}, &FieldError{k, "a list of origins like https://app.example.com"}
			}
			canon, fe := canonicalOrigins(list)
			if fe != nil {
				return nil, Settings{}, fe
			}
			raw, err := json.Marshal(canon)
			if err != nil {
				return nil, Settings{}, err
			}
			v = raw
		}
		next[k] = v
	}
	s, err := Effective(createdAt, choices, next)
	if err != nil {
		return nil, Settings{}, err
	}
	if fe := Validate(&s); fe != nil {
		return nil, Settings{}, fe
	}
	return next, s, nil
}

// nullable lists the settings a patch may set to null: "until an admin
// unlocks" and "no inactivity timeout".
var nullable = []string{"lockoutDurationSeconds", "sessionInactivityTimeoutSeconds"}

// fieldNames lists the JSON names of Settings.
func fieldNames() []string {
	raw, _ := json.Marshal(base())
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	return names
}
