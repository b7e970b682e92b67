// Package passwordpolicy decides whether a new password is acceptable, as
// NIST SP 800-63B §3.1.1.2 asks: 8 to 256 characters, no composition rules,
// and not a commonly used password. The blocklist is the "Passwords" frequency
// list that ships inside github.com/ccojocar/zxcvbn-go (a maintained port of
// Dropbox's zxcvbn), compiled into the binary, so the check needs no network.
package passwordpolicy

import (
	"errors"
	"strings"
	"sync"
	"unicode"

	"github.com/ccojocar/zxcvbn-go/frequency"
	"golang.org/x/text/unicode/norm"

	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/factor"
)

var (
	once   sync.Once
	common map[string]struct{}
)

// blocklist returns the common passwords, lowercased, loaded once.
func blocklist() map[string]struct{} {
	once.Do(func() {
		list := frequency.Lists["Passwords"].List
		common = make(map[string]struct{}, len(list))
		for _, p := range list {
			common[strings.ToLower(p)] = struct{}{}
		}
	})
	return common
}

// Size is the number of passwords on the blocklist.
func Size() int { return len(blocklist()) }

// Common reports whether pw is a commonly used password. It also catches the
// usual decorations of a common password: different case, and digits or
// punctuation appended ("Password123!"). It looks at pw as it is hashed
// (NFKC, factor.Hasher): a common password in full-width or other
// compatibility characters ("ｐａｓｓｗｏｒｄ") hashes as the plain one, and
// signs in typed plainly.
func Common(pw string) bool {
	list := blocklist()
	p := strings.ToLower(norm.NFKC.String(pw))
	if _, ok := list[p]; ok {
		return true
	}
	trimmed := strings.TrimRightFunc(p, func(r rune) bool { return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) })
	if len(trimmed) >= 4 && trimmed != p {
		if _, ok := list[trimmed]; ok {
			return true
		}
	}
	return false
}

// Check returns a Clerk error for an unacceptable new password, or nil.
func Check(pw string) error {
	switch err := factor.CheckPassword(pw); {
	case errors.Is(err, factor.ErrPasswordTooShort):
		return apierr.New(apierr.FormPasswordLengthTooShort).WithParam("password")
	case errors.Is(err, factor.ErrPasswordTooLong):
		return apierr.New(apierr.FormPasswordLengthTooLong).WithParam("password")
	case err != nil:
		return apierr.Invalid("password", "must be valid text")
	}
	if Common(pw) {
		return apierr.Newf(apierr.FormPasswordPwned, "This password is among the most commonly used passwords and is easy to guess. Please choose another.").WithParam("password")
	}
	return nil
}
