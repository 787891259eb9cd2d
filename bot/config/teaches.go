package config

// Teaches reports whether p teaches class c: a teacher who belongs to the class, or
// the teacher of one of its subjects.
func (c *Class) Teaches(p *Person) bool {
	if !p.Has(Teacher) {
		return false
	}
	if p.InClass(c.ID) {
		return true
	}
	for _, id := range c.Subjects {
		if id == p.ID {
			return true
		}
	}
	return false
}
