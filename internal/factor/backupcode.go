package factor

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/trustgate/trustgate/internal/keyring"
)

// Backup code shape: 15 characters of lowercase Crockford base32 (75 bits),
// shown in three groups of five, such as "7gk2m-q0xrt-9hn4c".
const (
	// BackupCodeChars is the number of characters in a backup code,
	// without separators.
	BackupCodeChars = 15
	// BackupCodeBits is the entropy of one backup code.
	BackupCodeBits = 5 * BackupCodeChars
	// DefaultBackupCodeCount is how many codes NewBackupCodes makes when
	// asked for zero.
	DefaultBackupCodeCount = 10
	// MaxBackupCodeCount is the most codes NewBackupCodes makes at once.
	MaxBackupCodeCount = 100

	backupGroup = 5
)

// backupAlphabet is Crockford's base32 alphabet in lowercase: no i, l, o or
// u, so no two symbols are easily confused. NormalizeBackupCode reads i and l
// as 1 and o as 0.
const backupAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// ErrBackupCodeFormat is returned for a backup code that is not 15 base32
// characters once case, spaces and dashes are ignored.
var ErrBackupCodeFormat = errors.New("factor: backup code must be 15 letters and digits, such as 7gk2m-q0xrt-9hn4c")

// NewBackupCodes returns n distinct backup codes, or DefaultBackupCodeCount
// if n is zero, drawn from r (pass crypto/rand.Reader outside tests). Each is
// formatted for display, such as "7gk2m-q0xrt-9hn4c"; store only HashBackupCode
// digests of them.
func NewBackupCodes(r io.Reader, n int) ([]string, error) {
	if n == 0 {
		n = DefaultBackupCodeCount
	}
	if n < 0 || n > MaxBackupCodeCount {
		return nil, fmt.Errorf("factor: backup code count %d outside 1..%d", n, MaxBackupCodeCount)
	}
	codes := make([]string, 0, n)
	seen := make(map[string]bool, n)
	// A duplicate among 75-bit codes means the entropy source is broken;
	// allow a few redraws, then say so rather than loop.
	for draws := 0; len(codes) < n; draws++ {
		if draws >= n+8 {
			return nil, errors.New("factor: entropy source keeps repeating backup codes")
		}
		var buf [(BackupCodeBits + 7) / 8]byte
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return nil, fmt.Errorf("factor: read backup code entropy: %w", err)
		}
		code := encodeBackupCode(buf[:])
		if seen[code] {
			continue
		}
		seen[code] = true
		codes = append(codes, formatBackupCode(code))
	}
	return codes, nil
}

// encodeBackupCode takes the first BackupCodeBits bits of b, five at a time,
// most significant first.
func encodeBackupCode(b []byte) string {
	out := make([]byte, BackupCodeChars)
	for i := range out {
		var v byte
		for j := range 5 {
			bit := i*5 + j
			v = v<<1 | (b[bit/8]>>(7-bit%8))&1
		}
		out[i] = backupAlphabet[v]
	}
	return string(out)
}

func formatBackupCode(code string) string {
	var b strings.Builder
	for i := 0; i < len(code); i += backupGroup {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(code[i : i+backupGroup])
	}
	return b.String()
}

// NormalizeBackupCode returns the canonical form of a backup code as typed:
// its 15 characters in lowercase without separators. Case, spaces and dashes
// are ignored, and the look-alikes i, l (read as 1) and o (read as 0) are
// accepted. Anything else yields ErrBackupCodeFormat.
func NormalizeBackupCode(s string) (string, error) {
	if len(s) > maxCodeInput {
		return "", ErrBackupCodeFormat
	}
	out := make([]byte, 0, BackupCodeChars)
	for _, r := range s {
		if r == '-' || unicode.IsSpace(r) {
			continue
		}
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		switch r {
		case 'i', 'l':
			r = '1'
		case 'o':
			r = '0'
		}
		if r > unicode.MaxASCII || strings.IndexByte(backupAlphabet, byte(r)) < 0 || len(out) == BackupCodeChars {
			return "", ErrBackupCodeFormat
		}
		out = append(out, byte(r))
	}
	if len(out) != BackupCodeChars {
		return "", ErrBackupCodeFormat
	}
	return string(out), nil
}

// HashBackupCode returns the keyed digest to store for a backup code:
// HMAC-SHA256 under the keyring's PurposeBackupCode key over the binding
// (the owning user's ID) and the normalised code. Compare digests with
// CodeHashEqual. It fails with ErrBackupCodeFormat if code does not
// normalise.
func HashBackupCode(k *keyring.Keyring, binding, code string) ([]byte, error) {
	c, err := NormalizeBackupCode(code)
	if err != nil {
		return nil, err
	}
	return k.MAC(keyring.PurposeBackupCode, bindingMessage(binding, c)), nil
}
