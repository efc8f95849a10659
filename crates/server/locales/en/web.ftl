# The customer's pages: request form, confirmation, status (issue 4). Every id here exists in
# every language; `cargo test` checks it.
language-name = English
site-name = Customer support
skip-to-content = Skip to the form
language-switch = Language

# The request form
form-title = Ask for help
form-intro = Tell us what happened. Fields marked * are required; the more you tell us, the sooner we can help.
form-problem-legend = Your problem
form-contact-legend = How we reach you
form-details-legend = Details that speed up the answer
form-files-legend = Screenshots
form-submit = Send request
form-sending = Sending…
form-update = Show the questions for this category
form-update-hint = Without JavaScript: choose a category, then press this button to see its questions. What you typed stays.
form-errors-title = Please correct the fields below
form-expired = This page had expired. Check what you typed and send again.
form-unreadable = The form could not be read completely. Check what you typed and send again.
form-too-large = The files were too large to receive: at most 3 screenshots of 5 MB each. What you typed is kept below.
form-rate-limited = Too many requests from your connection. Wait a few minutes, then send again: what you typed is kept.
form-unavailable = We cannot accept requests at this moment. Wait a minute and send again: what you typed is kept.
choose = Choose…
required-mark = required
recommended = recommended

field-category = Category
field-subcategory = What exactly?
field-name = Your name
field-email = E-mail
hint-email = Our answers go to this address.
field-phone = Mobile number
hint-phone = The number of the account, with the country code, e.g. +39 345 123 4567.
field-country = Country (two letters)
hint-country = Used to read a number typed without its country code, e.g. IT.
field-description = Description
hint-description = What did you do, what did you expect, what happened instead? At least 30 characters.
field-device = Phone model and system
hint-device = e.g. iPhone 14, iOS 17.1 or Galaxy S23, Android 14.
field-urgent = This is urgent
hint-urgent = Only for payments and stolen or hacked accounts. Misusing it slows down your next requests.
field-attachment = Screenshots (up to 3)
hint-attachment = JPG, PNG or GIF, at most 5 MB each, at least 720 pixels on the shorter side.
field-message = Your message
hint-message = Anything new, an answer to our question, or what you tried.
live-did-you-mean = Did you mean { $value }?
live-use = Use it
use-suggestion = Use { $value }
email-confirm = The address is right as I typed it
phone-reads-as = Reads as { $value }
kept-files = Already attached

# The confirmation
confirm-title = Request received
confirm-lead = Thank you. Your request has been received.
confirm-merged = You already had an open request about this: we added your message to case { $case }.
confirm-merged-sent = The link to follow that case has been sent to its e-mail address: look for it in your inbox, and in the spam folder.
confirm-case-label = Your case number
copy = Copy
copied = Copied
confirm-first-response = You will get a first answer { $when }.
confirm-email = We have sent a confirmation to your e-mail address. Keep the case number: it is in the subject.
confirm-missing-title = To speed up the answer, add:
confirm-missing-how = Add them on your request's page, or reply to the confirmation e-mail.
confirm-status-title = Follow your request
confirm-status-link = Open your request's page
confirm-status-hint = Keep this link private: anyone with it can read your request. It is also in the confirmation e-mail.
confirm-another = Send another request

# Times: "by Monday 20:00 (Europe/Rome)"
due-by = by { $when }
due-today = today at { $time }
due-tomorrow = tomorrow at { $time }
due-weekday = { $day } at { $time }
due-date = { $day } { $date } at { $time }
due-zone = { $zone } time
due-zone-utc = UTC; your browser did not tell us its time zone
day-1 = Monday
day-2 = Tuesday
day-3 = Wednesday
day-4 = Thursday
day-5 = Friday
day-6 = Saturday
day-7 = Sunday
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
date-format = { $day } { $month }

# The status page
status-title = Request { $case }
status-label = Status
status-new = Received, waiting for an agent
status-needs_info = Waiting for your phone number or device
status-open = Being handled
status-pending_customer = Waiting for your answer
status-resolved = Resolved
status-closed = Closed
status-merged = Added to another of your requests
status-first-response = First answer expected { $when }
status-first-response-done = First answer given { $when }
status-resolution = Resolution expected { $when }
status-missing = Still missing: add it below to speed up the answer.
status-conversation = Conversation
status-you = You
status-support = Support
status-description = Your request
status-device = Device
status-add-title = Add information or screenshots
status-add-submit = Add to the request
status-added = Thank you: your information was added to the request.
status-added-normal = Thank you: with this information your request is back in the normal queue.
status-closed-note = This request is closed. For anything new, send a new request.
status-new-request = Send a new request

# Every page
scam-warning-title = Beware of fake support
scam-warning = Support never asks for your verification code or for a fee, and has no phone line. Anyone who does is not us.
not-found-title = Request not found
not-found = We cannot find this request. Check that you opened the whole link from the confirmation e-mail.
error-title = Something went wrong
error-title-rate_limited = Too many requests
error-title-too_large = Too large to receive
error-title-forbidden = Not allowed
error-title-conflict = Not possible now
error-page = Something went wrong on our side. Try again in a moment. If it happens again, quote this reference: { $request_id }
back-to-form = Back to the form
