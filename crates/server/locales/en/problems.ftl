# SPEC §3.1: why a field was refused. Variables: $field (the field's label), $suggestion.
problem-required = This field is required.
problem-unknown_category = Choose one of the listed categories.
problem-unknown_subcategory = Choose a sub-category of the chosen category.
problem-email_invalid = This is not a complete e-mail address.{ $suggestion ->
    [none] {""}
   *[other] {" "}Did you mean { $suggestion }?
}
problem-email_suspect = This address looks mistyped: did you mean { $suggestion }? Our answers go to this address. If it is right as it is, confirm it.
problem-phone_invalid = This is not a phone number that can be reached.
problem-phone_missing_country_code = Add the country code (for Italy, +39).{ $suggestion ->
    [none] {""}
   *[other] {" "}Did you mean { $suggestion }?
}
problem-field_format = This value does not have the expected format.
problem-description_too_vague = Describe what happens in at least 30 characters: what you did, what you expected, what you saw.
problem-attachment_too_many = Attach at most 3 screenshots.
problem-attachment_too_large = This file is too large: at most 5 MB, 50 megapixels and, for a GIF, 30 seconds.
problem-attachment_type = Only JPG, PNG and GIF images are accepted.
problem-attachment_resolution = This screenshot is too small to read: its shorter side must be at least 720 pixels.
problem-attachment_corrupt = This image cannot be read: it may be damaged or incomplete.
problem-attachment_duplicate = The same file was attached twice.
problem-too_long = This text is too long.

# SPEC §3.2: accepted, with a caveat.
warning-missing_recommended = Adding this information speeds up the answer; until then the request waits with low priority.
warning-urgent_not_eligible = URGENT is reserved for payments and stolen accounts; it was ignored for this request, and misusing it slows down your next requests.
warning-attachment_edited = This image was saved by an editing program; agents prefer original screenshots.
warning-attachment_repeated = You already sent this screenshot several times; repeated files lower the request's priority.
warning-sensitive_data_masked = Card numbers and codes in your description were hidden before saving. Never share them.
warning-possible_scam_report = Support never asks for your verification code or for a fee. Do not pay or share codes: we will help you secure your account.

error-bad_request = The request could not be read: { $detail }
error-too_large = The request is too large.
error-rate_limited = Too many requests: try again in { $seconds } seconds.
error-not_found = Nothing was found here.
error-internal = Something went wrong on our side. Reference: { $request_id }
error-forbidden = You may not do this.
error-unavailable = The service is busy: try again shortly.
error-unsupported_media_type = Send multipart/form-data or application/json.
problem-password_too_short = A password needs at least 12 characters.
problem-unknown_placeholder = This placeholder is unknown; the ones a canned reply can use are {"{"}customer_name{"}"}, {"{"}case_number{"}"}, {"{"}status_url{"}"}, {"{"}agent_name{"}"} and {"{"}missing_fields{"}"}.
error-unauthorized = Sign in, or send an API token as "Authorization: Bearer …".

conflict-stale = The case changed meanwhile: reload it and try again.
conflict-case_status = Not possible while the case is { $status }.
conflict-transition = A case that is { $from } cannot become { $to }.
conflict-merge_instead = To merge the case, use "Merge into" and name the other case.
conflict-self_merge = A case cannot be merged into itself.
conflict-self_link = A case is not related to itself.
conflict-target_status = The other case is { $status }: it cannot take a merge.
conflict-nothing_missing = The case already has everything the catalog asks for.
conflict-category_gone = The category "{ $category }" is no longer in the catalog.
conflict-never_urgent = Cases in "{ $category }" cannot be urgent.
conflict-agent_cannot_take = That agent cannot take this case.
conflict-unknown_team = There is no team "{ $team }".
conflict-team_taken = A team called "{ $team }" exists already.
conflict-email_taken = An agent with this e-mail exists already.
conflict-not_a_category = "{ $category }" is not a category of the catalog.
conflict-not_a_subcategory = "{ $subcategory }" is not a sub-category of "{ $category }".
conflict-no_authenticator_pending = No authenticator is being set up: start again from your profile.
conflict-not_held = This reply is no longer held: it has gone, or was undone already.
conflict-newer_entry = Something new arrived on the case while you wrote: read it, then send again or edit.
conflict-canned_taken = A canned reply called "{ $name }" exists already.
conflict-canned_not_here = This canned reply is not one for this case: it belongs to another team, or was removed.
problem-webhook_target = This address leads to this server or its private network; deliveries go only to the internet (or to addresses the operator allows in webhook_allow).
conflict-organisation_taken = Another organisation has this name, or one of these e-mail domains or phone numbers.
conflict-rating_closed = Answers about a case are taken for 7 days after its resolution; this one stands as it was.
