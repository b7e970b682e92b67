package factor_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/trustgate/trustgate/internal/factor"
	"github.com/trustgate/trustgate/internal/keyring"
)

var backupCodeShape = regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$`)

func TestNewBackupCodesEncodesEntropy(t *testing.T) {
	tests := []struct {
		name    string
		entropy string // hex, 10 bytes per code
		want    string
	}{
		{"all zero bits", "00000000000000000000", "00000-00000-00000"},
		{"all one bits", "ffffffffffffffffffff", "zzzzz-zzzzz-zzzzz"},
		{"symbols 0 to 14 in order", "00443214c74254b635c0", "01234-56789-abcde"},
		{"last five bits of the tenth byte are unused", "0044321" + "4c74254b635df", "01234-56789-abcde"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			codes, err := factor.NewBackupCodes(bytes.NewReader(fromHex(t, tt.entropy)), 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(codes) != 1 || codes[0] != tt.want {
				t.Errorf("NewBackupCodes = %q, want [%q]", codes, tt.want)
			}
		})
	}
}

func TestNewBackupCodesCount(t *testing.T) {
	tests := []struct {
		n       int
		want    int
		wantErr bool
	}{
		{0, factor.DefaultBackupCodeCount, false},
		{1, 1, false},
		{16, 16, false},
		{100, 100, false},
		{101, 0, true},
		{-1, 0, true},
	}
	for _, tt := range tests {
		codes, err := factor.NewBackupCodes(rand.Reader, tt.n)
		if tt.wantErr {
			if err == nil {
				t.Errorf("NewBackupCodes(n=%d): got nil error, want error", tt.n)
			}
			continue
		}
		if err != nil {
			t.Fatalf("NewBackupCodes(n=%d): %v", tt.n, err)
		}
		if len(codes) != tt.want {
			t.Errorf("NewBackupCodes(n=%d) made %d codes, want %d", tt.n, len(codes), tt.want)
		}
		seen := map[string]bool{}
		for _, c := range codes {
			if !backupCodeShape.MatchString(c) {
				t.Errorf("code %q does not look like xxxxx-xxxxx-xxxxx in lowercase Crockford base32", c)
			}
			if seen[c] {
				t.Errorf("code %q issued twice", c)
			}
			seen[c] = true
		}
	}
	if factor.DefaultBackupCodeCount != 10 {
		t.Errorf("DefaultBackupCodeCount = %d, want 10", factor.DefaultBackupCodeCount)
	}
	if factor.BackupCodeBits < 64 {
		t.Errorf("BackupCodeBits = %d, want at least 64 (NIST SP 800-63B-4 saved recovery codes)", factor.BackupCodeBits)
	}
}

func TestNewBackupCodesReadsTenBytesPerCode(t *testing.T) {
	src := bytes.NewReader(bytes.Repeat([]byte("0123456789abcdefghij"), 10)) // 200 bytes
	codes, err := factor.NewBackupCodes(src, 2)
	if err != nil {
		t.Fatal(err)
	}
	if used := int(src.Size()) - src.Len(); used != 20 {
		t.Errorf("NewBackupCodes(2) read %d bytes, want 20", used)
	}
	if codes[0] == codes[1] {
		t.Errorf("two codes from different entropy are equal: %q", codes[0])
	}
}

func TestNewBackupCodesFailsOnBrokenEntropy(t *testing.T) {
	tests := []struct {
		name string
		src  func() *bytes.Reader
	}{
		{"reader repeats the same ten bytes", func() *bytes.Reader {
			return bytes.NewReader(bytes.Repeat([]byte("0123456789"), 1000))
		}},
		{"reader runs dry", func() *bytes.Reader { return bytes.NewReader(make([]byte, 15)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if codes, err := factor.NewBackupCodes(tt.src(), 10); err == nil {
				t.Errorf("NewBackupCodes = %q, nil; want error", codes)
			}
		})
	}
	if _, err := factor.NewBackupCodes(iotest.ErrReader(errors.New("no entropy")), 1); err == nil {
		t.Errorf("NewBackupCodes(failing reader): got nil error, want error")
	}
}

func TestNormalizeBackupCode(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means ErrBackupCodeFormat
	}{
		{"7gk2m-q0xrt-9hn4c", "7gk2mq0xrt9hn4c"},
		{"7gk2mq0xrt9hn4c", "7gk2mq0xrt9hn4c"},
		{"7GK2M-Q0XRT-9HN4C", "7gk2mq0xrt9hn4c"},
		{" 7gk2m q0xrt 9hn4c\n", "7gk2mq0xrt9hn4c"},
		{"7gk2m--q0xrt--9hn4c", "7gk2mq0xrt9hn4c"},
		{"7gk2m-qOxrt-9hn4c", "7gk2mq0xrt9hn4c"}, // letter O read as zero
		{"agk2m-q0xrt-lhi4c", "agk2mq0xrt1h14c"}, // l and i read as one
		{"", ""},
		{"7gk2m-q0xrt-9hn4", ""},   // 14 characters
		{"7gk2m-q0xrt-9hn4cc", ""}, // 16 characters
		{"ugk2m-q0xrt-9hn4c", ""},  // u is not in the alphabet
		{"7gk2m_q0xrt_9hn4c", ""},  // underscores are not separators
		{"7gk2m-q0xrt-9hn4ç", ""},  // non-ASCII
		{"７gk2m-q0xrt-9hn4c", ""},  // full-width digit
		{strings.Repeat("-", 70), ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := factor.NormalizeBackupCode(tt.in)
			if tt.want == "" {
				if !errors.Is(err, factor.ErrBackupCodeFormat) || got != "" {
					t.Errorf("NormalizeBackupCode(%q) = %q, %v; want ErrBackupCodeFormat", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("NormalizeBackupCode(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestHashBackupCode(t *testing.T) {
	k := mustKeyring(t)
	base, err := factor.HashBackupCode(k, "user_1", "7gk2m-q0xrt-9hn4c")
	if err != nil {
		t.Fatal(err)
	}
	if want := k.MAC(keyring.PurposeBackupCode, []byte("\x00\x00\x00\x06user_17gk2mq0xrt9hn4c")); !bytes.Equal(base, want) {
		t.Errorf("HashBackupCode = %x, want keyring MAC %x", base, want)
	}
	tests := []struct {
		name      string
		binding   string
		code      string
		wantEqual bool
	}{
		{"as displayed", "user_1", "7gk2m-q0xrt-9hn4c", true},
		{"typed in capitals without dashes", "user_1", "7GK2MQ0XRT9HN4C", true},
		{"typed with O for zero", "user_1", "7gk2m qOxrt 9hn4c", true},
		{"another code", "user_1", "7gk2m-q0xrt-9hn4d", false},
		{"same code of another user", "user_2", "7gk2m-q0xrt-9hn4c", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := factor.HashBackupCode(k, tt.binding, tt.code)
			if err != nil {
				t.Fatal(err)
			}
			if eq := factor.CodeHashEqual(got, base); eq != tt.wantEqual {
				t.Errorf("CodeHashEqual = %v, want %v", eq, tt.wantEqual)
			}
		})
	}
	if _, err := factor.HashBackupCode(k, "user_1", "7gk2m-q0xrt"); !errors.Is(err, factor.ErrBackupCodeFormat) {
		t.Errorf("HashBackupCode(short) error = %v, want ErrBackupCodeFormat", err)
	}
}

func TestIssuedBackupCodesVerify(t *testing.T) {
	k := mustKeyring(t)
	codes, err := factor.NewBackupCodes(rand.Reader, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codes {
		stored, err := factor.HashBackupCode(k, "user_1", c)
		if err != nil {
			t.Fatalf("HashBackupCode(%q): %v", c, err)
		}
		typed, err := factor.HashBackupCode(k, "user_1", strings.ToUpper(strings.ReplaceAll(c, "-", " ")))
		if err != nil || !factor.CodeHashEqual(stored, typed) {
			t.Errorf("code %q typed in capitals with spaces does not match its stored digest", c)
		}
	}
}

func FuzzNormalizeBackupCode(f *testing.F) {
	for _, s := range []string{"7gk2m-q0xrt-9hn4c", "7GK2MQ0XRT9HN4C", "agk2m-q0xrt-lhi4c", "", "ugk2m-q0xrt-9hn4c", "７gk2m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := factor.NormalizeBackupCode(s)
		if err != nil {
			if !errors.Is(err, factor.ErrBackupCodeFormat) {
				t.Fatalf("NormalizeBackupCode(%q) error %v, want ErrBackupCodeFormat", s, err)
			}
			return
		}
		if len(got) != 15 || strings.Trim(got, "0123456789abcdefghjkmnpqrstvwxyz") != "" {
			t.Fatalf("NormalizeBackupCode(%q) = %q, want 15 lowercase Crockford base32 characters", s, got)
		}
		if again, err := factor.NormalizeBackupCode(got); err != nil || again != got {
			t.Fatalf("NormalizeBackupCode(%q) = %q, %v; want idempotent", got, again, err)
		}
		display := got[:5] + "-" + got[5:10] + "-" + got[10:]
		if again, err := factor.NormalizeBackupCode(strings.ToUpper(display)); err != nil || again != got {
			t.Fatalf("NormalizeBackupCode(%q) = %q, %v; want %q", display, again, err, got)
		}
	})
}
