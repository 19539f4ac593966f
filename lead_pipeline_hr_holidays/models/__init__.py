from . import hr_leave
