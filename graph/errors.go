package graph

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trustgate/trustgate/internal/apierr"
	"github.com/trustgate/trustgate/internal/request"
)

// ErrorPresenter maps every resolver error to Clerk's shape once:
// extensions {code, longMessage, paramName, meta}. Client errors are logged at
// Warn with their code; anything else is an internal error, logged at Error
// with its cause and shown as internal_error with no detail.
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Extensions != nil && gqlErr.Extensions["code"] != nil {
			// Already a transport error (parse, validation, complexity) with a code.
			return gqlErr
		}
		e, ok := apierr.As(err)
		if !ok {
			if errors.As(err, &gqlErr) && isBodyError(gqlErr) {
				// gqlgen's POST transport could not decode the body and
				// answers 400: so does the error, and it echoes neither the
				// body nor the decoder's words.
				// Not its message: that quotes the body, which may hold a password.
				log.WarnContext(ctx, "client error", "code", apierr.FormParamFormatInvalid, "cause", "malformed request body")
				g := present(ctx, errMalformedBody)
				g.Extensions["status"] = http.StatusBadRequest
				return g
			}
			if errors.As(err, &gqlErr) && gqlErr.Err == nil && gqlErr.Extensions == nil {
				// gqlgen's own input errors (bad variable types, unknown enum values).
				return present(ctx, apierr.Newf(apierr.FormParamFormatInvalid, "%s", gqlErr.Message))
			}
			if param, ok := inputParam(ctx, gqlErr); ok {
				// A scalar argument gqlgen could not decode (a forged
				// cursor, a time that is not RFC 3339): the caller's
				// mistake, whose decoder message stays in the log.
				log.WarnContext(ctx, "client error", "code", apierr.FormParamFormatInvalid, "path", graphql.GetPath(ctx).String(), "cause", err)
				return present(ctx, apierr.Invalid(param, "not a valid value of its type (a Cursor from this list's pageInfo, a Time in RFC 3339 such as 2026-11-22T00:00:00Z)"))
			}
			if errors.Is(err, context.Canceled) {
				// The caller went away: not a server fault.
				log.InfoContext(ctx, "request canceled by the client", "path", graphql.GetPath(ctx).String())
			} else {
				log.ErrorContext(ctx, "internal error", "error", err, "path", graphql.GetPath(ctx).String())
			}
			e = apierr.New(apierr.Internal)
		} else if e.Code != apierr.Internal {
			attrs := []any{"code", e.Code, "path", graphql.GetPath(ctx).String()}
			if e.Unwrap() != nil {
				attrs = append(attrs, "cause", e.Unwrap())
			}
			log.WarnContext(ctx, "client error", attrs...)
		}
		return present(ctx, e)
	}
}

// errMalformedBody answers a /graphql body that is no JSON object of
// GraphQL request parameters.
var errMalformedBody = func() *apierr.Error {
	e := apierr.Newf(apierr.FormParamFormatInvalid, "The body is not a GraphQL request: a JSON object with query (a string), variables (an object) and operationName (a string).")
	e.Message = "Malformed request body"
	return e
}()

// isBodyError reports whether gqlErr is gqlgen's POST transport failing to
// decode the request body (transport/http_post.go; its message is checked by
// TestGraphQLTransportAndLimits). The body was read before, bounded.
func isBodyError(gqlErr *gqlerror.Error) bool {
	return gqlErr.Extensions == nil && len(gqlErr.Path) == 0 && strings.HasPrefix(gqlErr.Message, "json request body could not be decoded")
}

// inputParam reports whether gqlErr is gqlgen's failure to decode an
// argument of the field being resolved, and names the argument or input
// field: gqlgen reports it on the field's path extended by the argument's
// (and input fields') names, where a resolver's error is on the field's path.
func inputParam(ctx context.Context, gqlErr *gqlerror.Error) (string, bool) {
	if gqlErr == nil || gqlErr.Err == nil || len(gqlErr.Path) <= len(graphql.GetPath(ctx)) {
		return "", false
	}
	for i := len(gqlErr.Path) - 1; i >= len(graphql.GetPath(ctx)); i-- {
		if name, ok := gqlErr.Path[i].(ast.PathName); ok { // not a list index
			return string(name), true
		}
	}
	return "", false
}

func present(ctx context.Context, e *apierr.Error) *gqlerror.Error {
	if secs, ok := e.Meta["retryAfterSeconds"].(int); ok {
		// A code cooldown, a rate limit, a busy hasher: the header tells
		// when to retry as the meta does (the SDK's error.retryAfter).
		request.From(ctx).SetRetryAfter(secs)
	}
	return &gqlerror.Error{
		Message:    e.Message,
		Path:       graphql.GetPath(ctx),
		Extensions: e.Extensions(),
	}
}

// spread answers an apierr.List as one entry of the response's errors per
// error (gqlgen adds each entry of a gqlerror.List, and ErrorPresenter shapes
// each); any other error is returned as it is.
func spread(err error) error {
	var list apierr.List
	if !errors.As(err, &list) {
		return err
	}
	out := make(gqlerror.List, len(list))
	for i, e := range list {
		out[i] = &gqlerror.Error{Message: e.Message, Err: e}
	}
	return out
}
