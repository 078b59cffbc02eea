/** Names for generated people: a mix as wide as a city school's register. Invented combinations, no real people. */
export const GIVEN_NAMES = [
  'Aaliyah', 'Aarav', 'Abdullah', 'Ada', 'Adam', 'Aisha', 'Alex', 'Alfie', 'Amara', 'Amelia', 'Amir', 'Ana',
  'Archie', 'Arjun', 'Ava', 'Ayaan', 'Bella', 'Ben', 'Bilal', 'Caleb', 'Chloe', 'Chen', 'Daniel', 'Darius',
  'Eden', 'Elena', 'Eliza', 'Ella', 'Emeka', 'Emily', 'Ethan', 'Eva', 'Fatima', 'Felix', 'Finn', 'Freya',
  'Gabriel', 'Grace', 'Hana', 'Harper', 'Harry', 'Hassan', 'Ibrahim', 'Imani', 'Isaac', 'Isla', 'Ivy', 'Jack',
  'Jacob', 'Jamal', 'Jasmine', 'Jayden', 'Jia', 'Joel', 'Jude', 'Kai', 'Kemi', 'Kian', 'Layla', 'Leah', 'Leo',
  'Lily', 'Lucas', 'Luca', 'Maya', 'Mei', 'Mia', 'Mohammed', 'Musa', 'Nadia', 'Nia', 'Noah', 'Nour', 'Olivia',
  'Omar', 'Oscar', 'Priya', 'Rafael', 'Riya', 'Rosa', 'Ruby', 'Ryan', 'Sami', 'Sara', 'Sofia', 'Sophie',
  'Tariq', 'Theo', 'Thomas', 'Tobi', 'Yara', 'Yusuf', 'Zain', 'Zara', 'Zoe', 'Kofi', 'Ines', 'Mateo', 'Nikos',
  'Oksana', 'Piotr', 'Aylin', 'Dmitri', 'Saanvi',
] as const;

export const FAMILY_NAMES = [
  'Adeyemi', 'Ahmed', 'Ali', 'Anderson', 'Baker', 'Bennett', 'Brown', 'Campbell', 'Chen', 'Clarke', 'Cooper',
  'Davies', 'Dimitrov', 'Edwards', 'Evans', 'Fernandes', 'Fischer', 'Garcia', 'Green', 'Gupta', 'Hall', 'Harris',
  'Hassan', 'Hughes', 'Hussain', 'Ibrahim', 'Jackson', 'James', 'Johnson', 'Jones', 'Kaur', 'Khan', 'Kim',
  'Kowalski', 'Lee', 'Lewis', 'Li', 'Lopez', 'Martin', 'Mensah', 'Miller', 'Mitchell', 'Moore', 'Morgan',
  'Murphy', 'Nguyen', 'Nowak', 'Okafor', 'Okoro', 'Oliveira', 'Owen', 'Parker', 'Patel', 'Phillips', 'Popescu',
  'Price', 'Rahman', 'Reid', 'Roberts', 'Robinson', 'Rossi', 'Santos', 'Shah', 'Silva', 'Singh', 'Smith',
  'Stewart', 'Taylor', 'Thomas', 'Thompson', 'Turner', 'Walker', 'Wang', 'Ward', 'Watson', 'White', 'Williams',
  'Wilson', 'Wood', 'Wright', 'Yilmaz', 'Young', 'Zhang', 'Osei', 'Haddad', 'Novak', 'Moreau', 'Costa',
] as const;

export const SCHOOL_NAME_STEMS = [
  'Riverside', 'Oakfield', 'Hillcrest', 'Kingsway', 'Meadowbank', 'St Anne’s', 'Northgate', 'Elmwood',
  'Brookside', 'Castle Hill', 'Westfield', 'Ashgrove', 'Parkview', 'Highbury', 'Fairmount', 'Greenacre',
  'Lakeside', 'Beechwood', 'Millbrook', 'Queensbridge', 'Harbour', 'Thornbury', 'Valley', 'Redwood',
  'Southfields', 'Holmewood', 'Orchard', 'Stonebridge', 'Wyndham', 'Cedar Park',
] as const;
export const SCHOOL_NAME_KINDS = ['Academy', 'High School', 'Community School', 'College', 'School'] as const;
