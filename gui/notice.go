package gui

// Notice is the desktop notification for a change from prev to next, or
// "" for none: connected, reconnecting, disconnected and failed, as the
// state line words them.
// A window that attaches to the agent (again) says nothing of the state
// it finds.
func Notice(prev, next View) string {
	if prev.Phase == PhaseNoAgent || prev.Phase == next.Phase && prev.Error == next.Error {
		return ""
	}
	switch next.Phase {
	case PhaseConnected:
		if prev.Phase != PhaseConnected {
			return next.Line
		}
	case PhaseReconnecting:
		return next.Line
	case PhaseIdle:
		if next.Error != "" && next.Error != prev.Error {
			return next.Line // "Disconnected: the login was refused"
		}
		if prev.Phase == PhaseConnected || prev.Phase == PhaseReconnecting || prev.Phase == PhaseDisconnecting || prev.Phase == PhaseBanner {
			return "Disconnected from " + prev.Host
		}
	}
	return ""
}
