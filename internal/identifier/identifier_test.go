package identifier_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trustgate/trustgate/internal/identifier"
)

func TestNormalizeEmail(t *testing.T) {
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 57) + ".com" // 254
	tests := []struct {
		name string
		in   string
		want string // "" means ErrEmailFormat
	}{
		{"plain", "nikos@clerk.com", "nikos@clerk.com"},
		{"whole address lowercased", "Nikos.Kal@Clerk.COM", "nikos.kal@clerk.com"},
		{"surrounding whitespace", "  nikos@clerk.com\n", "nikos@clerk.com"},
		{"plus tag kept", "nikos+test@clerk.com", "nikos+test@clerk.com"},
		{"atext specials", "o'brien_x-y!#$%&*/=?^`{|}~@example.co.uk", "o'brien_x-y!#$%&*/=?^`{|}~@example.co.uk"},
		{"subdomain and hyphen", "a@mail-1.example.org", "a@mail-1.example.org"},
		{"254 bytes", long, long},
		{"255 bytes", "a" + long, ""},
		{"65-byte local part", strings.Repeat("a", 65) + "@example.com", ""},
		{"empty", "", ""},
		{"blank", "   ", ""},
		{"no @", "nikos.clerk.com", ""},
		{"two @", "nikos@clerk@com", ""},
		{"empty local part", "@clerk.com", ""},
		{"empty domain", "nikos@", ""},
		{"domain without dot", "nikos@localhost", ""},
		{"domain with empty label", "nikos@clerk..com", ""},
		{"domain trailing dot", "nikos@clerk.com.", ""},
		{"domain leading hyphen", "nikos@-clerk.com", ""},
		{"domain underscore", "nikos@cl_erk.com", ""},
		{"64-character label", "a@" + strings.Repeat("b", 64) + ".com", ""},
		{"numeric top-level domain", "nikos@192.168.0.1", ""},
		{"IP literal", "nikos@[192.168.0.1]", ""},
		{"display name", "Nikos <nikos@clerk.com>", ""},
		{"angle brackets only", "<nikos@clerk.com>", ""},
		{"quoted display name", `"Nikos" <nikos@clerk.com>`, ""},
		{"quoted local part", `"nikos kal"@clerk.com`, ""},
		{"comment", "nikos@clerk.com (work)", ""},
		{"leading dot in local part", ".nikos@clerk.com", ""},
		{"trailing dot in local part", "nikos.@clerk.com", ""},
		{"double dot in local part", "ni..kos@clerk.com", ""},
		{"inner space", "nik os@clerk.com", ""},
		{"newline injection", "nikos@clerk.com\r\nBcc: x@y.com", ""},
		{"NUL", "nikos\x00@clerk.com", ""},
		{"tab inside", "nikos\t@clerk.com", ""},
		{"DEL", "nikos\x7f@clerk.com", ""},
		{"non-ASCII local part", "nikós@clerk.com", ""},
		{"non-ASCII domain", "nikos@clérk.com", ""},
		{"two addresses", "a@b.com, c@d.com", ""},
		{"huge input", strings.Repeat("a", 5000) + "@b.com", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := identifier.NormalizeEmail(tt.in)
			if tt.want == "" {
				if !errors.Is(err, identifier.ErrEmailFormat) || got != "" {
					t.Errorf("NormalizeEmail(%q) = %q, %v; want ErrEmailFormat", tt.in, got, err)
				}
				if err != nil && len(tt.in) > 3 && strings.Contains(err.Error(), strings.TrimSpace(tt.in)) {
					t.Errorf("error %q quotes the input", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // "" means ErrPhoneFormat
	}{
		{"E.164", "+15551234567", "+15551234567"},
		{"spaces", "+1 555 123 4567", "+15551234567"},
		{"dashes and parentheses", "+1 (555) 123-4567", "+15551234567"},
		{"dots", "+44.20.7946.0958", "+442079460958"},
		{"surrounding whitespace", "\t+30 210 1234567 ", "+302101234567"},
		{"no-break spaces", "+33\u00a01\u00a023\u00a045\u00a067\u00a089", "+33123456789"},
		{"8 digits", "+12345678", "+12345678"},
		{"15 digits", "+123456789012345", "+123456789012345"},
		{"7 digits", "+1234567", ""},
		{"16 digits", "+1234567890123456", ""},
		{"no plus", "5551234567", ""},
		{"national format with parentheses", "(555) 123-4567", ""},
		{"00 international prefix", "0015551234567", ""},
		{"country code starting with 0", "+0155512345", ""},
		{"double plus", "++15551234567", ""},
		{"plus in the middle", "+1555+1234567", ""},
		{"letters", "+1555CALLNOW", ""},
		{"extension", "+15551234567 ext 12", ""},
		{"slash", "+1/555/1234567", ""},
		{"full-width digits", "+１５５５１２３４５６７", ""},
		{"just plus", "+", ""},
		{"empty", "", ""},
		{"huge input", "+1" + strings.Repeat(" ", 5000) + "5551234567", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := identifier.NormalizePhone(tt.in)
			if tt.want == "" {
				if !errors.Is(err, identifier.ErrPhoneFormat) || got != "" {
					t.Errorf("NormalizePhone(%q) = %q, %v; want ErrPhoneFormat", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestNormalizeUsername(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // "" means ErrUsernameFormat
	}{
		{"lowercase", "nikos", "nikos"},
		{"mixed case", "Nikos_K.1-2", "nikos_k.1-2"},
		{"surrounding whitespace", " nikos ", "nikos"},
		{"3 characters", "abc", "abc"},
		{"64 characters", strings.Repeat("a", 64), strings.Repeat("a", 64)},
		{"digits only", "12345", "12345"},
		{"2 characters", "ab", ""},
		{"65 characters", strings.Repeat("a", 65), ""},
		{"inner space", "nik os", ""},
		{"at sign", "nikos@", ""},
		{"plus", "+nikos", ""},
		{"non-ASCII", "níkos", ""},
		{"Kelvin sign (lowercases to k in Unicode)", "\u212aelvin", ""},
		{"empty", "", ""},
		{"control character", "nik\x00os", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := identifier.NormalizeUsername(tt.in)
			if tt.want == "" {
				if !errors.Is(err, identifier.ErrUsernameFormat) || got != "" {
					t.Errorf("NormalizeUsername(%q) = %q, %v; want ErrUsernameFormat", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("NormalizeUsername(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		in   string
		want identifier.Kind
	}{
		{"nikos@clerk.com", identifier.Email},
		{" Nikos@Clerk.com ", identifier.Email},
		{"not an email@", identifier.Email},
		{"+15551234567", identifier.Phone},
		{" +1 (555) 123-4567", identifier.Phone},
		{"nikos", identifier.Username},
		{"5551234567", identifier.Username},
		{"", identifier.Unknown},
		{" \t\n", identifier.Unknown},
	}
	for _, tt := range tests {
		if got := identifier.Classify(tt.in); got != tt.want {
			t.Errorf("Classify(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestKindString(t *testing.T) {
	tests := map[identifier.Kind]string{
		identifier.Email:    "email_address",
		identifier.Phone:    "phone_number",
		identifier.Username: "username",
		identifier.Unknown:  "unknown",
		identifier.Kind(42): "unknown",
	}
	for k, want := range tests {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in       string
		wantKind identifier.Kind
		want     string
		wantErr  error
	}{
		{"Nikos@Clerk.com", identifier.Email, "nikos@clerk.com", nil},
		{"+1 555 123 4567", identifier.Phone, "+15551234567", nil},
		{"Nikos", identifier.Username, "nikos", nil},
		{"nikos@", identifier.Email, "", identifier.ErrEmailFormat},
		{"+12", identifier.Phone, "", identifier.ErrPhoneFormat},
		{"5551234567!", identifier.Username, "", identifier.ErrUsernameFormat},
		{"", identifier.Unknown, "", identifier.ErrUsernameFormat},
	}
	for _, tt := range tests {
		kind, got, err := identifier.Normalize(tt.in)
		if kind != tt.wantKind || got != tt.want || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
			t.Errorf("Normalize(%q) = %v, %q, %v; want %v, %q, %v", tt.in, kind, got, err, tt.wantKind, tt.want, tt.wantErr)
		}
	}
}

func TestMask(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) string
		in   string
		want string
	}{
		{"MaskEmail", identifier.MaskEmail, "nikos@clerk.com", "n****@clerk.com"},
		{"MaskEmail two-character local part", identifier.MaskEmail, "ab@x.io", "a*@x.io"},
		{"MaskEmail one-character local part", identifier.MaskEmail, "a@x.io", "*@x.io"},
		{"MaskEmail without @", identifier.MaskEmail, "nikos", "*****"},
		{"MaskEmail counts characters, not bytes", identifier.MaskEmail, "ζωή@x.gr", "ζ**@x.gr"},
		{"MaskPhone", identifier.MaskPhone, "+15551234500", "+*********00"},
		{"MaskPhone formatted", identifier.MaskPhone, "+1 (555) 123-4500", "+*********00"},
		{"MaskPhone without plus", identifier.MaskPhone, "5551234500", "********00"},
		{"MaskPhone three digits", identifier.MaskPhone, "+123", "+***"},
		{"MaskPhone empty", identifier.MaskPhone, "", ""},
		{"Mask email", identifier.Mask, "nikos@clerk.com", "n****@clerk.com"},
		{"Mask phone", identifier.Mask, "+15551234500", "+*********00"},
		{"Mask username", identifier.Mask, "nikos", "n****"},
		{"Mask one-character username", identifier.Mask, "n", "*"},
		{"Mask blank", identifier.Mask, "  ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.fn(tt.in); got != tt.want {
				t.Errorf("%s(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
			}
		})
	}
}

// checkNormalizer is the property every normaliser fuzz target checks: no
// panic, errors wrap the sentinel, and success is idempotent and classifies
// as the normaliser's kind.
func checkNormalizer(t *testing.T, name string, normalize func(string) (string, error), sentinel error, kind identifier.Kind, in string) {
	t.Helper()
	got, err := normalize(in)
	if err != nil {
		if !errors.Is(err, sentinel) {
			t.Fatalf("%s(%q) error %v does not wrap %v", name, in, err, sentinel)
		}
		if got != "" {
			t.Fatalf("%s(%q) = %q alongside an error", name, in, got)
		}
		return
	}
	again, err := normalize(got)
	if err != nil || again != got {
		t.Fatalf("%s(%q) = %q, but %s(%q) = %q, %v; want idempotent", name, in, got, name, got, again, err)
	}
	if !utf8.ValidString(got) || strings.TrimSpace(got) != got {
		t.Fatalf("%s(%q) = %q, want valid UTF-8 without surrounding space", name, in, got)
	}
	if k := identifier.Classify(got); k != kind {
		t.Fatalf("Classify(%s(%q) = %q) = %v, want %v", name, in, got, k, kind)
	}
	if k, n, err := identifier.Normalize(got); k != kind || n != got || err != nil {
		t.Fatalf("Normalize(%q) = %v, %q, %v; want %v, %q, nil", got, k, n, err, kind, got)
	}
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"nikos@clerk.com", "Nikos <nikos@clerk.com>", `"a b"@c.com`, "a@b", "a@[1.2.3.4]", "a@b.c.", "(x)a@b.com", "a@b.com (x)", "=?utf-8?q?a?=@b.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkNormalizer(t, "NormalizeEmail", identifier.NormalizeEmail, identifier.ErrEmailFormat, identifier.Email, s)
		if got, err := identifier.NormalizeEmail(s); err == nil {
			if len(got) > identifier.MaxEmailLen || strings.Count(got, "@") != 1 || strings.ToLower(got) != got {
				t.Fatalf("NormalizeEmail(%q) = %q, want one @, lowercase, at most 254 bytes", s, got)
			}
		}
		mask := identifier.MaskEmail(s)
		if at := strings.LastIndexByte(mask, '@'); at >= 0 {
			if hidden := []rune(mask[:at]); len(hidden) > 1 && strings.Trim(string(hidden[1:]), "*") != "" {
				t.Fatalf("MaskEmail(%q) = %q reveals more than the first character", s, mask)
			}
		}
	})
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+15551234567", "+1 (555) 123-4567", "5551234567", "+0123456789", "++1", "+１２３"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkNormalizer(t, "NormalizePhone", identifier.NormalizePhone, identifier.ErrPhoneFormat, identifier.Phone, s)
		if got, err := identifier.NormalizePhone(s); err == nil {
			digits := strings.TrimPrefix(got, "+")
			if got[0] != '+' || len(digits) < 8 || len(digits) > 15 || digits[0] == '0' || strings.Trim(digits, "0123456789") != "" {
				t.Fatalf("NormalizePhone(%q) = %q, want E.164", s, got)
			}
		}
		shown := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, identifier.MaskPhone(s))
		if len(shown) > 2 {
			t.Fatalf("MaskPhone(%q) shows %d digits, want at most 2", s, len(shown))
		}
	})
}

func FuzzNormalizeUsername(f *testing.F) {
	for _, s := range []string{"nikos", "Nikos_K.1-2", "ab", "níkos", "\u212aelvin", strings.Repeat("a", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkNormalizer(t, "NormalizeUsername", identifier.NormalizeUsername, identifier.ErrUsernameFormat, identifier.Username, s)
		_ = identifier.Mask(s) // must not panic on any input
	})
}
