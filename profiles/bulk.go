package profiles

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/parcours/parcours/marketplace"
)

// BulkColumns are the columns of a bulk attestation file of employment
// periods (docs/attestations.md), in any order; the first three are required.
var BulkColumns = []string{"nir", "job_title", "start_date", "end_date", "skills", "description"}

// MaxBulkRows bounds one file.
const MaxBulkRows = 10_000

// LineResult is the outcome of one line of a bulk file: the credential
// issued, or why the line was refused. A NIR is never quoted.
type LineResult struct {
	Line         int
	CredentialID string
	EntryID      string
	Field        string // the column at fault
	Error        string
	Code         string // why a line was refused: invalid-input, forbidden, conflict, internal
}

// BulkReport is the outcome of a bulk file.
type BulkReport struct {
	Issued  int
	Refused int
	Lines   []LineResult
}

// AttestBulk attests the employment periods of a CSV file (UTF-8, comma or
// semicolon separated, one header line) with the employer's platform-held
// key. Each line is issued or refused on its own; a malformed header
// refuses the file.
func (s *Service) AttestBulk(ctx context.Context, siret string, r io.Reader) (BulkReport, error) {
	var rep BulkReport
	i, err := s.store.Issuer(ctx, siret)
	if err != nil {
		return rep, err
	}
	if i.Kind != EmployerIssuer {
		return rep, fmt.Errorf("only employers attest employment periods: %w", ErrForbidden)
	}
	if i.Custody != PlatformKey {
		return rep, fmt.Errorf("issuer %s signs with its own key: send each signed credential: %w", siret, ErrConflict)
	}
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return rep, err
	}
	text := strings.TrimPrefix(string(data), "\ufeff")
	first, _, _ := strings.Cut(text, "\n")
	cr := csv.NewReader(strings.NewReader(text))
	if strings.Count(first, ";") > strings.Count(first, ",") {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return rep, invalidField("csv", "line 1: the header line is missing or malformed")
	}
	col := map[string]int{}
	for n, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range BulkColumns {
			known = known || c == h
		}
		if !known {
			return rep, invalidField("csv", "line 1: unknown column %q (want %s)", h, strings.Join(BulkColumns, ", "))
		}
		if _, dup := col[h]; dup {
			return rep, invalidField("csv", "line 1: column %q appears twice", h)
		}
		col[h] = n
	}
	for _, c := range BulkColumns[:3] {
		if _, ok := col[c]; !ok {
			return rep, invalidField("csv", "line 1: column %q is required", c)
		}
	}
	get := func(rec []string, name string) string {
		if n, ok := col[name]; ok && n < len(rec) {
			return strings.TrimSpace(rec[n])
		}
		return ""
	}
	rows := 0
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		res := LineResult{Line: line}
		switch {
		case err != nil:
			res.Field, res.Error = "csv", "malformed CSV line"
		case len(rec) == 1 && strings.TrimSpace(rec[0]) == "":
			continue
		case len(rec) != len(header):
			res.Field, res.Error = "csv", fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))
		}
		if rows++; rows > MaxBulkRows {
			return rep, invalidField("csv", "at most %d lines in one file", MaxBulkRows)
		}
		if res.Error == "" {
			s.bulkLine(ctx, siret, rec, get, &res)
		}
		if res.Error == "" {
			rep.Issued++
		} else {
			rep.Refused++
		}
		rep.Lines = append(rep.Lines, res)
	}
	return rep, nil
}

func (s *Service) bulkLine(ctx context.Context, siret string, rec []string, get func([]string, string) string, res *LineResult) {
	e := Entry{Kind: Employment, Title: get(rec, "job_title"), Description: get(rec, "description")}
	var err error
	if e.Start, err = parseDay(get(rec, "start_date")); err != nil || e.Start.IsZero() {
		res.Field, res.Error, res.Code = "start_date", "must be a date YYYY-MM-DD", "invalid-input"
		return
	}
	if e.End, err = parseDay(get(rec, "end_date")); err != nil {
		res.Field, res.Error, res.Code = "end_date", "must be a date YYYY-MM-DD or empty (ongoing)", "invalid-input"
		return
	}
	if sk := get(rec, "skills"); sk != "" {
		for _, id := range strings.Split(sk, "|") {
			if id = strings.TrimSpace(id); id != "" {
				e.Skills = append(e.Skills, id)
			}
		}
	}
	line, c, err := s.Attest(ctx, siret, Attestation{NIR: get(rec, "nir"), Entry: e})
	if err == nil {
		res.CredentialID, res.EntryID = c.ID, line.ID
		return
	}
	var v *marketplace.ValidationError
	switch {
	case errors.As(err, &v) && len(v.Fields) > 0:
		res.Field, res.Error, res.Code = bulkColumn(v.Fields[0].Field), v.Fields[0].Reason, "invalid-input"
	case errors.Is(err, ErrForbidden):
		res.Field, res.Error, res.Code = "nir", err.Error(), "forbidden"
	case errors.Is(err, ErrConflict):
		res.Error, res.Code = err.Error(), "conflict"
	default:
		s.log.ErrorContext(ctx, "bulk attestation line failed", "line", res.Line, "err", err)
		res.Error, res.Code = "the line could not be attested; try again later", "internal"
	}
}

// bulkColumn maps a line's wire field to the file's column.
func bulkColumn(f string) string {
	switch {
	case f == "title":
		return "job_title"
	case f == "start", f == "end":
		return f + "_date"
	case strings.HasPrefix(f, "skills"):
		return "skills"
	}
	return f
}

func parseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.DateOnly, s)
}
