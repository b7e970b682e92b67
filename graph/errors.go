package graph

import (
	"context"
	"errors"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trustgate/trustgate/internal/apierr"
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
			if errors.As(err, &gqlErr) && gqlErr.Err == nil && gqlErr.Extensions == nil {
				// gqlgen's own input errors (bad variable types, unknown enum values).
				return present(ctx, apierr.Newf(apierr.FormParamFormatInvalid, "%s", gqlErr.Message))
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

func present(ctx context.Context, e *apierr.Error) *gqlerror.Error {
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
