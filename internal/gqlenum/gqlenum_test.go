package gqlenum

import (
	"strings"
	"testing"
)

func TestMarshalUnmarshal(t *testing.T) {
	var b strings.Builder
	Marshal(&b, "needs_first_factor")
	if b.String() != `"needs_first_factor"` {
		t.Fatalf("Marshal wrote %s", b.String())
	}
	var s string
	if err := Unmarshal(&s, "complete", "Status"); err != nil || s != "complete" {
		t.Fatalf("Unmarshal: %q, %v", s, err)
	}
	if err := Unmarshal(&s, 3, "Status"); err == nil {
		t.Error("a number read as an enum value")
	}
	if err := Unmarshal(&s, "strict", "Level", "first_factor", "second_factor"); err == nil || s != "complete" {
		t.Errorf("a value outside the allowed: %v, dst %q", err, s)
	}
}
