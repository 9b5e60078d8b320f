package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/marketplace"
)

func TestParseEmploymentSample(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "testdata", "employment-declarations.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := ParseEmployment(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows", len(rows))
	}
	want := marketplace.DeclarationRow{NIR: "255081416802538", Year: 2025, EmployerSIRET: "90123456700013", HoursWorked: 1607, FullTimeHours: 1607}
	if diff := cmp.Diff(want, rows[0]); diff != "" {
		t.Error(diff)
	}
}

func TestParseEmploymentErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", "header"},
		{"unknown column", "nir,year,employer_siret,hours_worked,full_time_hours,salary\n", "unknown column"},
		{"missing column", "nir,year\n", "required"},
		{"bad number", "nir,year,employer_siret,hours_worked,full_time_hours\n255081416802538,2025,90123456700013,many,1607\n", "line 2: hours_worked"},
		{"bad NIR, not quoted", "nir,year,employer_siret,hours_worked,full_time_hours\n255081416802539,2025,90123456700013,1,1607\n", "line 2: nir is not"},
		{"short row", "nir,year,employer_siret,hours_worked,full_time_hours\n1,2\n", "line 2: 2 fields"},
	}
	for _, tt := range tests {
		_, err := ParseEmployment(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "255081416802539") {
			t.Errorf("%s: the error quotes the NIR", tt.name)
		}
	}
}

func FuzzParseEmployment(f *testing.F) {
	f.Add("nir,year,employer_siret,hours_worked,full_time_hours\n255081416802538,2025,90123456700013,1607,1607\n")
	f.Add("nir;year;employer_siret;hours_worked;full_time_hours;job_seeker\n2 55 08 14 168 025 38;2024;90123456700013;800;1600;oui\n")
	f.Fuzz(func(t *testing.T, s string) {
		rows, err := ParseEmployment(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, r := range rows {
			if _, ok := marketplace.NormalizeNIR(r.NIR); !ok {
				t.Fatalf("accepted an invalid NIR")
			}
		}
	})
}
