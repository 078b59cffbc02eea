/** The prose the seed puts into alerts, cases and incidents: written by hand so the demo reads like a school. */

export const DISMISS_REASONS = [
  'Known medical absence; plan already in place with the family',
  'Attendance data corrected by the office',
  'Already supported through an existing intervention',
  'Authorised religious observance',
  'Incident reviewed: no further action needed',
];

export const WELLBEING_CONCERNS = [
  'Seemed withdrawn in tutor time and mentioned trouble sleeping',
  'Parent reported friendship difficulties at break times',
  'Arrived without lunch several days this week',
  'Upset after PE; reluctant to say why',
  'Teacher noticed a sharp drop in homework completion and mood',
];

export const CASE_TITLES: Record<string, string[]> = {
  ATTENDANCE: ['Attendance support plan', 'Punctuality and attendance check-ins', 'Return-to-school plan'],
  BEHAVIOUR: ['Behaviour support plan', 'Restorative conversations', 'Lesson conduct report card'],
  ACADEMIC: ['Maths catch-up', 'English reading intervention', 'Homework club and study skills'],
  WELLBEING: ['Wellbeing check-ins', 'Mentoring with a trusted adult', 'Family support referral'],
};

export const CASE_GOALS: Record<string, string[]> = {
  ATTENDANCE: ['Attendance above 95% for four consecutive weeks', 'On time every day for a half term'],
  BEHAVIOUR: ['No major incidents for six weeks', 'Fewer than two minor incidents a fortnight'],
  ACADEMIC: ['Passing maths at the next assessment', 'Reading age up by six months by review'],
  WELLBEING: ['Student reports feeling settled at weekly check-in', 'Engaged with counselling sessions'],
};

export const CASE_NOTES: Record<string, string[]> = {
  ATTENDANCE: [
    'Phoned home; parent aware and supportive of the plan.',
    'Met with student; agreed a morning check-in with the form tutor.',
    'Attendance improving over the last fortnight.',
    'Letter sent home about unauthorised absences.',
  ],
  BEHAVIOUR: [
    'Restorative meeting held with the other student involved.',
    'Report card started; reviewed daily at end of school.',
    'Positive week: two commendations from science.',
  ],
  ACADEMIC: [
    'Booked into Tuesday maths catch-up sessions.',
    'Reading assessment done; working with the literacy lead.',
    'Homework completion up to 80% this half term.',
  ],
  WELLBEING: [
    'Weekly check-in held; student more settled.',
    'Referred to the school counsellor with consent.',
    'Spoke with parent; agreed to review in two weeks.',
  ],
};

export const RESTRICTED_NOTES = [
  'Safeguarding referral made to the designated lead; details held in the safeguarding record.',
  'Disclosure made to the form tutor; passed to the DSL the same day.',
  'Social care involved; do not discuss with other students or share outside the safeguarding team.',
];

export const INCIDENT_DESCRIPTIONS: Record<string, string> = {
  FIGHTING: 'Physical altercation at break',
  BULLYING: 'Repeated unkind behaviour towards a peer',
  VERBAL_ABUSE: 'Abusive language towards staff',
  DAMAGE: 'Damage to school property',
  TRUANCY: 'Left site without permission',
  DISRUPTION: 'Disrupting learning in lesson',
  DEFIANCE: 'Refused reasonable instruction',
  LATE_TO_LESSON: 'Repeatedly late to lesson',
  UNIFORM: 'Uniform not to standard',
  PHONE: 'Phone used in lesson',
  HOMEWORK: 'Homework not handed in',
};
