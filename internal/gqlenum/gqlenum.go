// Package gqlenum writes and reads the domain packages' string enums
// (sign-in and sign-up statuses, reverification levels) as GraphQL enum
// values, so that each type's MarshalGQL and UnmarshalGQL is one line.
package gqlenum

import (
	"fmt"
	"io"
	"slices"
	"strconv"
)

// Marshal writes v as a GraphQL enum value.
func Marshal(w io.Writer, v string) { io.WriteString(w, strconv.Quote(v)) }

// Unmarshal reads a GraphQL enum value into dst. With allowed, a value
// outside them is refused as not a name (the schema's enum).
func Unmarshal(dst *string, v any, name string, allowed ...string) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("enum value must be a string, got %T", v)
	}
	if len(allowed) > 0 && !slices.Contains(allowed, s) {
		return fmt.Errorf("%v is not a %s", v, name)
	}
	*dst = s
	return nil
}
