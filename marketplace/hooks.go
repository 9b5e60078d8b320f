package marketplace

import "context"

// OnEvaluated adds a function called after a learner's evaluation of a
// finished dossier is recorded, with the dossier as it now stands (the
// career profile attests the training from it). It must be called before
// the service is used. The functions run in the request, after the
// dossier is stored: a failure is theirs to log, it does not undo the
// evaluation.
func (s *EnrolmentService) OnEvaluated(fn func(ctx context.Context, d Dossier)) {
	s.evaluated = append(s.evaluated, fn)
}

func (s *EnrolmentService) afterEvaluation(ctx context.Context, d Dossier) {
	for _, fn := range s.evaluated {
		fn(ctx, d)
	}
}
