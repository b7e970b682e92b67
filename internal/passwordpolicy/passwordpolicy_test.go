package passwordpolicy

import (
	"testing"

	"github.com/trustgate/trustgate/internal/apierr"
)

func TestCheck(t *testing.T) {
	if n := Size(); n < 5000 {
		t.Fatalf("blocklist has %d entries, want thousands", n)
	}
	tests := []struct {
		pw   string
		want apierr.Code
	}{
		{"short", apierr.FormPasswordLengthTooShort},
		{"password", apierr.FormPasswordPwned},
		{"PASSWORD", apierr.FormPasswordPwned},
		{"Password123!", apierr.FormPasswordPwned},
		{"12345678", apierr.FormPasswordPwned},
		{"football", apierr.FormPasswordPwned},
		{"qwertyuiop", apierr.FormPasswordPwned},
		{"ｐａｓｓｗｏｒｄ１２３", apierr.FormPasswordPwned}, // full-width: NFKC makes it password123
		{"Ｑｗｅｒｔｙｕｉｏｐ", apierr.FormPasswordPwned},
		{"correct horse battery", ""},
		{"mY-unusual-Passphrase-2026", ""},
		{string(make([]byte, 257)), apierr.FormPasswordLengthTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.pw, func(t *testing.T) {
			err := Check(tt.pw)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want nil", tt.pw, err)
				}
				return
			}
			if !apierr.Is(err, tt.want) {
				t.Fatalf("Check(%q) = %v, want %s", tt.pw, err, tt.want)
			}
		})
	}
}
