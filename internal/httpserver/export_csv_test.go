package httpserver

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"
)

// TestQuotedCSV: every field is quoted and the output reads back unchanged.
func TestQuotedCSV(t *testing.T) {
	rows := [][]string{
		{"id", "user_agent"},
		{"sie_1", `Mozilla;=HYPERLINK("http://evil","x")`},
		{"sie_2", "two\nlines, and a \"quote\""},
		{"", ""},
	}
	var buf bytes.Buffer
	q := newQuotedCSV(&buf)
	for _, r := range rows {
		if err := q.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	q.Flush()
	if err := q.Error(); err != nil {
		t.Fatal(err)
	}
	want := `"id","user_agent"` + "\n" +
		`"sie_1","Mozilla;=HYPERLINK(""http://evil"",""x"")"` + "\n" +
		`"sie_2","two` + "\n" + `lines, and a ""quote"""` + "\n" +
		`"",""` + "\n"
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
	back, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(back, rows, slices.Equal) {
		t.Fatalf("read back %q, want %q", back, rows)
	}
}
