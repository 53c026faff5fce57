package tlscert

import (
	"context"
	"time"
)

// Watch calls ReloadIfChanged every interval until ctx ends, and report
// (when not nil) after each reload and each failed one. It returns at once
// for a Store not loaded from files. Run it in its own goroutine.
func (s *Store) Watch(ctx context.Context, every time.Duration, report func(error)) {
	if s.certFile == "" || every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			changed, err := s.ReloadIfChanged()
			if (changed || err != nil) && report != nil {
				report(err)
			}
		}
	}
}
