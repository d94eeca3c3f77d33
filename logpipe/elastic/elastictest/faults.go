package elastictest

// faults are failures to inject into _bulk.
type faults struct {
	// failRequests whole requests are answered with failStatus.
	failRequests int
	failStatus   int
	// rejectItems items (in arrival order) are answered 429.
	rejectItems int
	// down: every _bulk is answered 503 until cleared.
	down bool
}

// FailBulkRequests answers the next n _bulk requests with status as a whole
// (429 es_rejected_execution_exception, or 5xx), as an overloaded or sick
// node does.
func (s *Server) FailBulkRequests(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failRequests, s.faults.failStatus = n, status
}

// RejectBulkItems answers the next n bulk items with 429, in an otherwise
// successful response (errors: true), as a node with a full write queue does.
func (s *Server) RejectBulkItems(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.rejectItems = n
}

// SetDown makes every _bulk fail with 503 while down is true.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.down = down
}
