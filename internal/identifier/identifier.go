package identifier

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on identifiers.
const (
	// MaxEmailLen is the longest email address accepted, in bytes (RFC 5321
	// path limit less the angle brackets).
	MaxEmailLen = 254
	// MaxEmailLocalLen is the longest local part accepted (RFC 5321 §4.5.3.1.1).
	MaxEmailLocalLen = 64
	// MinPhoneDigits is the fewest digits, country code included, accepted in
	// a phone number.
	MinPhoneDigits = 8
	// MaxPhoneDigits is the most digits in an E.164 number (ITU-T E.164 §6).
	MaxPhoneDigits = 15
	// MinUsernameLen is the shortest username accepted.
	MinUsernameLen = 3
	// MaxUsernameLen is the longest username accepted.
	MaxUsernameLen = 64

	// maxInput bounds what the normalisers read, so absurd inputs cost
	// nothing.
	maxInput = 1024
	maxLabel = 63
)

var (
	// ErrEmailFormat is wrapped by every error from NormalizeEmail.
	ErrEmailFormat = errors.New("identifier: invalid email address")
	// ErrPhoneFormat is wrapped by every error from NormalizePhone.
	ErrPhoneFormat = errors.New("identifier: invalid phone number")
	// ErrUsernameFormat is wrapped by every error from NormalizeUsername.
	ErrUsernameFormat = errors.New("identifier: invalid username")
)

// Kind says which sort of identifier a string is.
type Kind int

const (
	// Unknown is the Kind of an empty or blank string.
	Unknown Kind = iota
	// Email is the Kind of strings containing "@".
	Email
	// Phone is the Kind of strings starting with "+".
	Phone
	// Username is the Kind of every other non-blank string.
	Username
)

// String returns the kind's name as Clerk spells identifier types:
// "email_address", "phone_number", "username" or "unknown".
func (k Kind) String() string {
	switch k {
	case Email:
		return "email_address"
	case Phone:
		return "phone_number"
	case Username:
		return "username"
	default:
		return "unknown"
	}
}

// Classify returns the kind of identifier s looks like, ignoring surrounding
// whitespace: Email if it contains "@", Phone if it starts with "+",
// Unknown if it is blank, and Username otherwise. It does not check that s
// is valid; Normalize does.
func Classify(s string) Kind {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Unknown
	case strings.Contains(s, "@"):
		return Email
	case strings.HasPrefix(s, "+"):
		return Phone
	default:
		return Username
	}
}

// Normalize classifies s and normalises it as that kind. For a blank s it
// returns Unknown and an error wrapping ErrUsernameFormat.
func Normalize(s string) (Kind, string, error) {
	kind := Classify(s)
	var (
		norm string
		err  error
	)
	switch kind {
	case Email:
		norm, err = NormalizeEmail(s)
	case Phone:
		norm, err = NormalizePhone(s)
	default:
		norm, err = NormalizeUsername(s)
	}
	return kind, norm, err
}

// NormalizeEmail returns s trimmed and lowercased if it is a single bare
// email address: an ASCII dot-atom local part of at most 64 bytes, one "@",
// and a host name with at least one dot, at most MaxEmailLen bytes in all.
// Display names, angle brackets, quoted local parts, comments, control
// characters, non-ASCII characters and IP literals are rejected. Errors wrap
// ErrEmailFormat.
func NormalizeEmail(s string) (string, error) {
	if len(s) > maxInput {
		return "", emailErr("too long")
	}
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == 0x7f:
			return "", emailErr("control character")
		case c >= utf8.RuneSelf:
			return "", emailErr("non-ASCII character")
		case c == '<' || c == '>':
			return "", emailErr("angle brackets; give the bare address")
		}
	}
	s = strings.ToLower(s)
	if s == "" {
		return "", emailErr("empty")
	}
	if len(s) > MaxEmailLen {
		return "", emailErr(fmt.Sprintf("longer than %d characters", MaxEmailLen))
	}
	if strings.Count(s, "@") != 1 {
		return "", emailErr("must contain exactly one @")
	}
	// Address equal to the input means net/mail saw a bare addr-spec: no
	// display name, comment, quoting or folding whitespace.
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", emailErr("not a bare address")
	}
	local, domain, _ := strings.Cut(s, "@")
	if local == "" || len(local) > MaxEmailLocalLen {
		return "", emailErr(fmt.Sprintf("local part must be 1 to %d characters", MaxEmailLocalLen))
	}
	if err := checkDomain(domain); err != nil {
		return "", err
	}
	return s, nil
}

// checkDomain accepts a lowercase host name: two or more dot-separated
// labels of 1 to 63 letters, digits and inner hyphens, with a top-level
// label that is not all digits.
func checkDomain(domain string) error {
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return emailErr("domain must contain a dot")
	}
	for _, l := range labels {
		if l == "" || len(l) > maxLabel || l[0] == '-' || l[len(l)-1] == '-' {
			return emailErr("domain label must be 1 to 63 letters, digits or inner hyphens")
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return emailErr("domain label must be 1 to 63 letters, digits or inner hyphens")
			}
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return emailErr("top-level domain is numeric")
	}
	return nil
}

func emailErr(reason string) error { return fmt.Errorf("%w: %s", ErrEmailFormat, reason) }

// NormalizePhone returns s in E.164 form, "+" followed by 8 to 15 digits
// whose first (the country code's) is not 0. The input must start with "+"
// (after surrounding whitespace); spaces, dashes, dots and parentheses
// between digits are ignored. Numbers without "+" are rejected: there is no
// default region. Errors wrap ErrPhoneFormat.
func NormalizePhone(s string) (string, error) {
	if len(s) > maxInput {
		return "", phoneErr("too long")
	}
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, "+")
	if !ok {
		return "", phoneErr("must start with + and the country code")
	}
	digits := make([]byte, 0, MaxPhoneDigits)
	for _, r := range rest {
		switch {
		case r >= '0' && r <= '9':
			if len(digits) == MaxPhoneDigits {
				return "", phoneErr(fmt.Sprintf("more than %d digits", MaxPhoneDigits))
			}
			digits = append(digits, byte(r))
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || unicode.IsSpace(r):
		default:
			return "", phoneErr("only digits, spaces, dashes, dots and parentheses may follow +")
		}
	}
	if len(digits) < MinPhoneDigits {
		return "", phoneErr(fmt.Sprintf("fewer than %d digits", MinPhoneDigits))
	}
	if digits[0] == '0' {
		return "", phoneErr("country code cannot start with 0")
	}
	return "+" + string(digits), nil
}

func phoneErr(reason string) error { return fmt.Errorf("%w: %s", ErrPhoneFormat, reason) }

// NormalizeUsername returns s trimmed and lowercased if it is 3 to 64
// characters of a-z, 0-9, "_", "." and "-" (in either case). Errors wrap
// ErrUsernameFormat.
func NormalizeUsername(s string) (string, error) {
	if len(s) > maxInput {
		return "", usernameErr()
	}
	s = strings.TrimSpace(s)
	if len(s) < MinUsernameLen || len(s) > MaxUsernameLen {
		return "", usernameErr()
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '.', c == '-':
		default:
			return "", usernameErr()
		}
	}
	return string(b), nil
}

func usernameErr() error {
	return fmt.Errorf("%w: must be %d to %d characters of a-z, 0-9, _, . and -", ErrUsernameFormat, MinUsernameLen, MaxUsernameLen)
}

// Mask returns identifier with most of it hidden, choosing the rule by
// Classify: MaskEmail, MaskPhone, or for usernames the first character
// followed by one "*" per further character. Blank input gives "".
func Mask(identifier string) string {
	switch Classify(identifier) {
	case Email:
		return MaskEmail(identifier)
	case Phone:
		return MaskPhone(identifier)
	case Username:
		return keepFirst(strings.TrimSpace(identifier))
	default:
		return ""
	}
}

// MaskEmail hides an email address's local part except its first character,
// keeping the domain: "nikos@clerk.com" becomes "n****@clerk.com". A
// one-character local part is hidden entirely. Input without "@" is hidden
// entirely.
func MaskEmail(email string) string {
	email = strings.TrimSpace(email)
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return stars(email)
	}
	return keepFirst(email[:at]) + email[at:]
}

// MaskPhone hides every digit of a phone number but the last two, keeping a
// leading "+" and dropping formatting: "+15551234500" and
// "+1 (555) 123-4500" both become "+*********00". Numbers with fewer than
// four digits are hidden entirely.
func MaskPhone(phone string) string {
	phone = strings.TrimSpace(phone)
	var digits []byte
	for i := 0; i < len(phone); i++ {
		if c := phone[i]; c >= '0' && c <= '9' {
			digits = append(digits, c)
		}
	}
	var b strings.Builder
	if strings.HasPrefix(phone, "+") {
		b.WriteByte('+')
	}
	if len(digits) < 4 {
		b.WriteString(strings.Repeat("*", len(digits)))
		return b.String()
	}
	b.WriteString(strings.Repeat("*", len(digits)-2))
	b.Write(digits[len(digits)-2:])
	return b.String()
}

// keepFirst keeps the first character of s and replaces each further one
// with "*"; a single character is replaced too.
func keepFirst(s string) string {
	n := utf8.RuneCountInString(s)
	if n <= 1 {
		return strings.Repeat("*", n)
	}
	first, _ := utf8.DecodeRuneInString(s)
	return string(first) + strings.Repeat("*", n-1)
}

func stars(s string) string { return strings.Repeat("*", utf8.RuneCountInString(s)) }
