package bolt_test

import (
	"testing"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/store/storetest"
)

func TestJournalPurgeConformance(t *testing.T) {
	storetest.RunJournalPurge(t, func(t *testing.T) marketplace.EnrolmentStore { return open(t) })
}
