package profiles_test

import (
	"strings"
	"testing"

	"github.com/parcours/parcours/profiles"
)

// FuzzAttestBulk feeds arbitrary files to the bulk attestation: it never
// panics, refuses a file only as a whole with a field error, and otherwise
// accounts for every line it read, quoting no NIR.
func FuzzAttestBulk(f *testing.F) {
	e := newEnv(f)
	if _, err := e.svc.RegisterIssuer(e.ctx, profiles.Registration{SIRET: employer, Kind: profiles.EmployerIssuer, Name: "Boulangerie Martin", Custody: profiles.PlatformKey}); err != nil {
		f.Fatal(err)
	}
	f.Add("nir;job_title;start_date\n" + nirAlice + ";Boulangère;2023-02-01\n")
	f.Add("nir,job_title,start_date,end_date,skills,description\n" + nirBob + ",Vendeur,2023-01-01,,s:cpt|s:paie,\"a, b\"\n")
	f.Add("job_title;nir;start_date\nx;" + nirAlice + ";2024-13-40\n\n")
	f.Add("\ufeffnir;job_title;start_date\n\"" + nirAlice + ";x\n")
	f.Fuzz(func(t *testing.T, csv string) {
		rep, err := e.svc.AttestBulk(e.ctx, employer, strings.NewReader(csv))
		if err != nil {
			if len(fieldsOf(err)) == 0 {
				t.Fatalf("a refused file without a field error: %v", err)
			}
			return
		}
		if rep.Issued+rep.Refused != len(rep.Lines) {
			t.Fatalf("%d issued + %d refused for %d lines", rep.Issued, rep.Refused, len(rep.Lines))
		}
		for _, l := range rep.Lines {
			if strings.Contains(l.Error, nirAlice) || strings.Contains(l.Error, nirBob) {
				t.Fatalf("line %d quotes a NIR: %s", l.Line, l.Error)
			}
			if (l.Error == "") == (l.CredentialID == "") {
				t.Fatalf("line %d: error %q and credential %q", l.Line, l.Error, l.CredentialID)
			}
		}
	})
}
