package marketplace

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors returned by the marketplace and its stores. Callers test
// them with errors.Is; backends wrap driver errors into them with %w.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
	ErrForbidden = errors.New("forbidden")
	// ErrInvalid marks input that breaks a domain rule; the concrete error is
	// a *ValidationError naming the fields at fault.
	ErrInvalid = errors.New("invalid input")
	// ErrUnavailable is returned when a store cannot answer (network,
	// timeout, server failure): the service, not the request, is at fault.
	ErrUnavailable = errors.New("the store is unavailable")
	// ErrNotPublishable is returned when an offer cannot be published, such as
	// when its provider has no valid Qualiopi certification.
	ErrNotPublishable = errors.New("offer cannot be published")
)

// Refused tells an operation the domain refused, with nothing moved
// (invalid input, a conflict, too little balance, an unknown or forbidden
// record, a dossier state that does not allow it), from a failure whose
// outcome is unknown (ErrUnavailable, a timeout) and that a client retries
// with the same idempotency key.
func Refused(err error) bool {
	var v *ValidationError
	return errors.As(err, &v) || errors.Is(err, ErrConflict) || errors.Is(err, ErrInsufficientBalance) ||
		errors.Is(err, ErrNotFound) || errors.Is(err, ErrForbidden) || errors.Is(err, ErrInvalidState)
}

// FieldError is one rule broken by one input field. Field uses the wire
// name of the field (JSON path such as "price_cents" or "sessions[1].start").
type FieldError struct {
	Field  string
	Reason string
}

// ValidationError lists every field at fault in one input. It matches
// ErrInvalid with errors.Is.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Reason
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Is reports ErrInvalid as the kind of a ValidationError.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Add records a broken rule; the reason is formatted with fmt.Sprintf.
func (e *ValidationError) Add(field, format string, args ...any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Err returns e when it holds at least one field error, nil otherwise.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}
