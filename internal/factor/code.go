package factor

import (
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/trustgate/trustgate/internal/keyring"
)

// CodeDigits is the number of decimal digits in a one-time code.
const CodeDigits = 6

const (
	codeSpace = 1_000_000 // 10^CodeDigits
	// codeLimit is the largest multiple of codeSpace that fits in 2^32;
	// 32-bit draws at or above it are rejected so every code is equally
	// likely.
	codeLimit = (1 << 32) / codeSpace * codeSpace
	// maxDraws bounds rejection sampling; a working entropy source needs
	// more than one draw with probability 0.02%.
	maxDraws = 64
	// maxCodeInput bounds the input normalisers look at.
	maxCodeInput = 64
)

// ErrCodeFormat is returned for a one-time code that is not exactly six ASCII
// digits once spaces and dashes are removed.
var ErrCodeFormat = errors.New("factor: code must be 6 digits")

// NewCode returns a uniformly random six-digit one-time code, such as
// "042917", drawn from r by rejection sampling (no modulo bias). Pass
// crypto/rand.Reader outside tests.
func NewCode(r io.Reader) (string, error) {
	var buf [4]byte
	for range maxDraws {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return "", fmt.Errorf("factor: read code entropy: %w", err)
		}
		if v := binary.BigEndian.Uint32(buf[:]); v < codeLimit {
			return fmt.Sprintf("%06d", v%codeSpace), nil
		}
	}
	return "", errors.New("factor: entropy source keeps returning out-of-range values")
}

// NormalizeCode returns the six digits of a code as typed, ignoring spaces
// and dashes anywhere ("123 456", "123-456"). Anything else, including
// non-ASCII digits, yields ErrCodeFormat.
func NormalizeCode(s string) (string, error) {
	if len(s) > maxCodeInput {
		return "", ErrCodeFormat
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '-' || unicode.IsSpace(r):
		case '0' <= r && r <= '9' && b.Len() < CodeDigits:
			b.WriteRune(r)
		default:
			return "", ErrCodeFormat
		}
	}
	if b.Len() != CodeDigits {
		return "", ErrCodeFormat
	}
	return b.String(), nil
}

// HashCode returns the keyed digest to store for a one-time code: HMAC-SHA256
// under the keyring's PurposeCode key over the binding and the normalised
// code. The binding names what the code was issued for (such as the sign-in
// or verification ID), so a code, or its stored digest, is only valid there.
// It fails with ErrCodeFormat if code does not normalise.
func HashCode(k *keyring.Keyring, binding, code string) ([]byte, error) {
	c, err := NormalizeCode(code)
	if err != nil {
		return nil, err
	}
	return k.MAC(keyring.PurposeCode, bindingMessage(binding, c)), nil
}

// CodeHashEqual reports whether two code digests are equal, in time that
// does not depend on their contents. Empty digests are never equal, so a
// missing stored digest cannot match a missing computed one.
func CodeHashEqual(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare(a, b) == 1
}

// bindingMessage encodes binding and secret unambiguously: a length prefix
// keeps ("ab", "c") and ("a", "bc") apart.
func bindingMessage(binding, secret string) []byte {
	msg := binary.BigEndian.AppendUint32(nil, uint32(len(binding)))
	msg = append(msg, binding...)
	return append(msg, secret...)
}
