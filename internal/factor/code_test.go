package factor_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/trustgate/trustgate/internal/factor"
	"github.com/trustgate/trustgate/internal/keyring"
)

func mustKeyring(t testing.TB) *keyring.Keyring {
	t.Helper()
	k, err := keyring.New(bytes.Repeat([]byte{0x42}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func fromHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNewCodeDrawsUniformlyByRejection(t *testing.T) {
	tests := []struct {
		name     string
		entropy  string // hex
		want     string
		consumed int
	}{
		{"zero", "00000000", "000000", 4},
		{"one below a million", "000f423f", "999999", 4},
		{"a million wraps to zero", "000f4240", "000000", 4},
		{"largest accepted draw (limit-1)", "fff13d7f", "999999", 4},
		{"draw at the limit is redrawn", "fff13d80" + "00000001", "000001", 8},
		{"draw of 2^32-1 is redrawn", "ffffffff" + "fff13d80" + "0001e240", "123456", 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := bytes.NewReader(append(fromHex(t, tt.entropy), 0xAA, 0xAA, 0xAA, 0xAA))
			got, err := factor.NewCode(src)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("NewCode = %q, want %q", got, tt.want)
			}
			if used := int(src.Size()) - src.Len(); used != tt.consumed {
				t.Errorf("NewCode read %d bytes, want %d", used, tt.consumed)
			}
		})
	}
}

func TestNewCodeFailsOnBrokenEntropy(t *testing.T) {
	if _, err := factor.NewCode(iotest.ErrReader(errors.New("no entropy"))); err == nil {
		t.Errorf("NewCode(failing reader): got nil error, want error")
	}
	if _, err := factor.NewCode(bytes.NewReader(bytes.Repeat([]byte{0xff}, 1<<12))); err == nil {
		t.Errorf("NewCode(reader of only 0xff): got nil error, want error instead of looping")
	}
}

func TestNormalizeCode(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means ErrCodeFormat
	}{
		{"123456", "123456"},
		{"000000", "000000"},
		{" 123456 ", "123456"},
		{"123 456", "123456"},
		{"123-456", "123456"},
		{"1-2 3\t4\n5 6", "123456"},
		{"123\u00a0456", "123456"}, // no-break space from copy and paste
		{"", ""},
		{"12345", ""},
		{"1234567", ""},
		{"12345a", ""},
		{"123.456", ""},
		{"١٢٣٤٥٦", ""}, // Arabic-Indic digits
		{"１２３４５６", ""}, // full-width digits
		{"+123456", ""},
		{strings.Repeat(" ", 70) + "123456", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := factor.NormalizeCode(tt.in)
			if tt.want == "" {
				if !errors.Is(err, factor.ErrCodeFormat) || got != "" {
					t.Errorf("NormalizeCode(%q) = %q, %v; want ErrCodeFormat", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("NormalizeCode(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestHashCode(t *testing.T) {
	k := mustKeyring(t)
	base, err := factor.HashCode(k, "sia_1", "123456")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("is the keyring MAC over length-prefixed binding and code", func(t *testing.T) {
		want := k.MAC(keyring.PurposeCode, []byte("\x00\x00\x00\x05sia_1123456"))
		if !bytes.Equal(base, want) {
			t.Errorf("HashCode = %x, want %x", base, want)
		}
		if len(base) != 32 {
			t.Errorf("len(HashCode) = %d, want 32", len(base))
		}
	})
	tests := []struct {
		name      string
		binding   string
		code      string
		wantEqual bool
	}{
		{"same code", "sia_1", "123456", true},
		{"same code typed with a dash", "sia_1", "123-456", true},
		{"other code", "sia_1", "123457", false},
		{"same code for another sign-in", "sia_2", "123456", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := factor.HashCode(k, tt.binding, tt.code)
			if err != nil {
				t.Fatal(err)
			}
			if eq := factor.CodeHashEqual(got, base); eq != tt.wantEqual {
				t.Errorf("CodeHashEqual = %v, want %v", eq, tt.wantEqual)
			}
		})
	}
	if _, err := factor.HashCode(k, "sia_1", "12345"); !errors.Is(err, factor.ErrCodeFormat) {
		t.Errorf("HashCode(5 digits) error = %v, want ErrCodeFormat", err)
	}
	other, _ := keyring.New(bytes.Repeat([]byte{0x43}, 32))
	if h, _ := factor.HashCode(other, "sia_1", "123456"); factor.CodeHashEqual(h, base) {
		t.Errorf("HashCode under another root secret equals the original")
	}
}

func TestCodeHashEqual(t *testing.T) {
	a := bytes.Repeat([]byte{1}, 32)
	flipped := bytes.Clone(a)
	flipped[31] ^= 0x80
	tests := []struct {
		name string
		x, y []byte
		want bool
	}{
		{"equal digests", a, bytes.Clone(a), true},
		{"last bit differs", a, flipped, false},
		{"prefix", a, a[:31], false},
		{"both nil", nil, nil, false},
		{"both empty", []byte{}, []byte{}, false},
		{"one nil", a, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := factor.CodeHashEqual(tt.x, tt.y); got != tt.want {
				t.Errorf("CodeHashEqual = %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"123456", "123 456", "123-456", "12345", "１２３４５６", "", "------"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := factor.NormalizeCode(s)
		if err != nil {
			if !errors.Is(err, factor.ErrCodeFormat) {
				t.Fatalf("NormalizeCode(%q) error %v, want ErrCodeFormat", s, err)
			}
			return
		}
		if len(got) != 6 || strings.Trim(got, "0123456789") != "" {
			t.Fatalf("NormalizeCode(%q) = %q, want 6 ASCII digits", s, got)
		}
		if digits := strings.Map(func(r rune) rune {
			if '0' <= r && r <= '9' {
				return r
			}
			return -1
		}, s); digits != got {
			t.Fatalf("NormalizeCode(%q) = %q, want the input's digits %q", s, got, digits)
		}
		if again, err := factor.NormalizeCode(got); err != nil || again != got {
			t.Fatalf("NormalizeCode(%q) = %q, %v; want idempotent", got, again, err)
		}
	})
}
