package factor

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/skip2/go-qrcode"
)

// TOTP settings. They are the ones every authenticator app supports (RFC 6238
// defaults); changing them breaks enrolled users.
const (
	// TOTPPeriod is the TOTP time step.
	TOTPPeriod = 30 * time.Second
	// TOTPDigits is the number of digits in a TOTP code.
	TOTPDigits = 6
	// TOTPSkew is how many steps of clock skew ValidateTOTP accepts either
	// way (RFC 6238 §5.2 recommends at most one).
	TOTPSkew = 1
	// TOTPSecretLen is the length of secrets made by NewTOTPSecret: 160
	// bits, the HMAC-SHA1 output size (RFC 4226 §4 R6 recommends it).
	TOTPSecretLen = 20
	// MinTOTPSecretLen is the shortest secret accepted (128 bits, RFC 4226
	// §4 R6).
	MinTOTPSecretLen = 16

	maxTOTPSecretLen  = 64
	maxSecretInputLen = 256
	qrMinSize         = 64
	qrMaxSize         = 2048
)

// ErrSecretFormat is returned by DecodeSecret for text that is not a base32
// secret of 16 to 64 bytes.
var ErrSecretFormat = errors.New("factor: TOTP secret must be base32 (A-Z, 2-7) encoding 16 to 64 bytes")

var secretEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// HOTP returns the RFC 4226 one-time password for secret and counter with
// the given number of digits (6 to 8), zero-padded. It panics for other digit
// counts, which are programming errors.
func HOTP(secret []byte, counter uint64, digits int) string {
	if digits < 6 || digits > 8 {
		panic(fmt.Sprintf("factor: HOTP digits %d outside 6..8", digits))
	}
	mac := hmac.New(sha1.New, secret)
	mac.Write(binary.BigEndian.AppendUint64(nil, counter))
	sum := mac.Sum(nil)
	// Dynamic truncation, RFC 4226 §5.3.
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// TOTPStep returns the RFC 6238 time step containing t: the number of whole
// TOTPPeriods since the Unix epoch (T0 = 0), as a 64-bit value.
func TOTPStep(t time.Time) int64 {
	sec := t.Unix()
	step := sec / int64(TOTPPeriod/time.Second)
	if sec < 0 && sec%int64(TOTPPeriod/time.Second) != 0 {
		step-- // floor, not truncation, before the epoch
	}
	return step
}

// TOTPAt returns the six-digit TOTP code for secret at time t.
func TOTPAt(secret []byte, t time.Time) string {
	return HOTP(secret, uint64(TOTPStep(t)), TOTPDigits)
}

// NewTOTPSecret returns a new TOTPSecretLen-byte secret read from r. Pass
// crypto/rand.Reader outside tests.
func NewTOTPSecret(r io.Reader) ([]byte, error) {
	secret := make([]byte, TOTPSecretLen)
	if _, err := io.ReadFull(r, secret); err != nil {
		return nil, fmt.Errorf("factor: read TOTP secret: %w", err)
	}
	return secret, nil
}

// EncodeSecret returns secret in the form authenticator apps take: uppercase
// base32 (RFC 4648) without padding.
func EncodeSecret(secret []byte) string {
	return secretEncoding.EncodeToString(secret)
}

// DecodeSecret parses a base32 TOTP secret as users and other systems write
// it: case, spaces and trailing '=' padding are ignored. Secrets shorter than
// MinTOTPSecretLen bytes are rejected as too weak. Errors wrap
// ErrSecretFormat.
func DecodeSecret(s string) ([]byte, error) {
	if len(s) > maxSecretInputLen {
		return nil, fmt.Errorf("%w: longer than %d characters", ErrSecretFormat, maxSecretInputLen)
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
		case 'a' <= r && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r > unicode.MaxASCII:
			return nil, fmt.Errorf("%w: non-ASCII character", ErrSecretFormat)
		default:
			b.WriteRune(r)
		}
	}
	text := strings.TrimRight(b.String(), "=")
	// encoding/base32 without padding silently drops a dangling final
	// character; lengths 1, 3 and 6 mod 8 cannot come from whole bytes.
	switch len(text) % 8 {
	case 1, 3, 6:
		return nil, fmt.Errorf("%w: %d characters is not a whole number of bytes", ErrSecretFormat, len(text))
	}
	secret, err := secretEncoding.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSecretFormat, err)
	}
	if len(secret) < MinTOTPSecretLen || len(secret) > maxTOTPSecretLen {
		return nil, fmt.Errorf("%w: got %d bytes", ErrSecretFormat, len(secret))
	}
	return secret, nil
}

// ValidateTOTP reports whether code is the TOTP for secret at now, allowing
// TOTPSkew steps either way, and was not used before: a step at or below
// lastUsedStep is refused, so each code is accepted once. On success the
// caller must store the returned step as the new lastUsedStep, atomically
// with accepting the sign-in. Pass -1 as lastUsedStep for a factor never used.
//
// Codes are normalised with NormalizeCode and compared in constant time;
// secrets shorter than MinTOTPSecretLen never validate. If a code happens to
// match two steps in the window, the later one is returned so it cannot be
// accepted twice.
func ValidateTOTP(secret []byte, code string, now time.Time, lastUsedStep int64) (step int64, ok bool) {
	if len(secret) < MinTOTPSecretLen {
		return 0, false
	}
	c, err := NormalizeCode(code)
	if err != nil {
		return 0, false
	}
	current := TOTPStep(now)
	for s := current - TOTPSkew; s <= current+TOTPSkew; s++ {
		want := HOTP(secret, uint64(s), TOTPDigits)
		match := subtle.ConstantTimeCompare([]byte(want), []byte(c)) == 1
		if match && s > lastUsedStep && s >= 0 {
			step, ok = s, true
		}
	}
	return step, ok
}

// TOTPURI returns the otpauth:// key URI (Google Authenticator "Key URI
// Format") that enrols secret in an authenticator app, for example
//
//	otpauth://totp/Acme:nikos%40clerk.com?secret=...&issuer=Acme&algorithm=SHA1&digits=6&period=30
//
// Issuer and account are percent-encoded (spaces as %20, colons as %3A). An
// empty issuer is left out.
func TOTPURI(issuer, account string, secret []byte) string {
	var b strings.Builder
	b.WriteString("otpauth://totp/")
	if issuer != "" {
		b.WriteString(uriEscape(issuer))
		b.WriteByte(':')
	}
	b.WriteString(uriEscape(account))
	b.WriteString("?secret=")
	b.WriteString(EncodeSecret(secret))
	if issuer != "" {
		b.WriteString("&issuer=")
		b.WriteString(uriEscape(issuer))
	}
	fmt.Fprintf(&b, "&algorithm=SHA1&digits=%d&period=%d", TOTPDigits, int(TOTPPeriod/time.Second))
	return b.String()
}

// uriEscape percent-encodes every byte except RFC 3986 unreserved
// characters. net/url's escapers leave ':' in paths and write spaces as '+'
// in queries, which authenticator apps read differently.
func uriEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0x0f])
	}
	return b.String()
}

// QRCodePNG renders content (typically a TOTPURI) as a size×size PNG QR code
// with medium error correction. size must be between 64 and 2048 pixels; it
// is raised if the code has more modules than pixels.
func QRCodePNG(content string, size int) ([]byte, error) {
	if size < qrMinSize || size > qrMaxSize {
		return nil, fmt.Errorf("factor: QR code size %d outside %d..%d", size, qrMinSize, qrMaxSize)
	}
	if content == "" {
		return nil, errors.New("factor: QR code content is empty")
	}
	png, err := qrcode.Encode(content, qrcode.Medium, size)
	if err != nil {
		return nil, fmt.Errorf("factor: QR code: %w", err)
	}
	return png, nil
}
