# The confirmation mail (SPEC §5). Variables: $case, $due.
mail-confirmation-subject = [{ $case }] We have received your request
mail-greeting = Hello,
mail-received = we have received your support request. Its case number is { $case }.
mail-first-response = You will have a first answer by { $due }.
mail-expected = Given the requests ahead of yours, we expect to answer around { $when }.
mail-missing-intro = To speed up the answer, add this information:
mail-status-intro = Follow your request, and add information or screenshots, here:
mail-reply-hint = You can also reply to this e-mail: your reply joins the case.
mail-warning = Support never asks for your verification code or for a fee, and has no phone line. Anyone who does is not us.
# What a case opened by mail still needs (the catalog names its own fields).
mail-missing-phone = your phone number with its country code (for example +39 345 123 4567)
mail-missing-device = your phone's model and system (for example iPhone 14, iOS 17.1)
mail-missing-description = a description of the problem: what you did, what you expected, what happened
# The mail to a contact whose new request joined their open case (SPEC §3.3). Variables: $case.
mail-merged-subject = [{ $case }] Your new request was added to your open case
mail-merged-body = We received another request from this address while your case { $case } is still open, so we added it to that case instead of opening a new one.
mail-reply-subject = Re: [{ $case }] Your support request
mail-reply-signature = { $agent }, Support
mail-request-info = To go on with your request we need some more information. Please reply to this e-mail, or add it on your request's page, with:
mail-invitation-subject = Your account on the support desk
mail-invitation-greeting = Hello { $name },
mail-invitation-body = { $by } invited you to answer customers on the support desk. Choose your password here to sign in:
mail-invitation-expiry = The link works once, for 7 days. If you did not expect this mail, ignore it.
mail-mention-subject = [{ $case }] You were mentioned in a note
mail-mention-body = { $author } mentioned you in an internal note on { $case }:
mail-breach-subject = [{ $case }] A service-level target was missed
mail-breach-body = { $case } missed its { $target } target and is still open.
mail-breach-first-response = first-response
mail-breach-resolution = resolution
mail-webhook-disabled-subject = A webhook endpoint was disabled
mail-webhook-disabled-body = Every delivery to { $url } failed for 24 hours, so Sportello stopped sending to it. The last failure is below; enable the endpoint again once it answers.

mail-resolution-subject = [{ $case }] Your case is resolved
mail-resolution-body = We consider your case { $case } resolved.
mail-resolution-question = How did we do? One click is enough; you can add a comment after it.
mail-resolution-good = Good, my problem is solved
mail-resolution-bad = Bad, I am not satisfied
mail-resolution-reopen = Not solved after all? Within 7 days, add a message on your case's page and it opens again:
