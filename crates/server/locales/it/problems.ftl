# SPEC §3.1: perché un campo è stato rifiutato. Variabili: $field, $suggestion.
problem-required = Questo campo è obbligatorio.
problem-unknown_category = Scegli una delle categorie elencate.
problem-unknown_subcategory = Scegli una sottocategoria della categoria scelta.
problem-email_invalid = Questo non è un indirizzo e-mail completo.{ $suggestion ->
    [none] {""}
   *[other] {" "}Intendevi { $suggestion }?
}
problem-email_suspect = L'indirizzo sembra contenere un errore di battitura: intendevi { $suggestion }? Le risposte arrivano a questo indirizzo. Se è giusto così, confermalo.
problem-phone_invalid = Questo non è un numero di telefono raggiungibile.
problem-phone_missing_country_code = Aggiungi il prefisso internazionale (per l'Italia, +39).{ $suggestion ->
    [none] {""}
   *[other] {" "}Intendevi { $suggestion }?
}
problem-field_format = Il valore non ha il formato previsto.
problem-description_too_vague = Descrivi il problema in almeno 30 caratteri: cosa hai fatto, cosa ti aspettavi, cosa è successo.
problem-attachment_too_many = Puoi allegare al massimo 3 screenshot.
problem-attachment_too_large = Il file è troppo grande: al massimo 5 MB, 50 megapixel e, per una GIF, 30 secondi.
problem-attachment_type = Sono accettate solo immagini JPG, PNG e GIF.
problem-attachment_resolution = Lo screenshot è troppo piccolo per essere letto: il lato corto deve avere almeno 720 pixel.
problem-attachment_corrupt = L'immagine non si può leggere: potrebbe essere danneggiata o incompleta.
problem-attachment_duplicate = Lo stesso file è stato allegato due volte.
problem-too_long = Il testo è troppo lungo.

# SPEC §3.2: accettata, con un'avvertenza.
warning-missing_recommended = Aggiungere questa informazione velocizza la risposta; finché manca, la richiesta attende con priorità bassa.
warning-urgent_not_eligible = URGENTE è riservato a pagamenti e account rubati; per questa richiesta è stato ignorato, e usarlo impropriamente rallenta le prossime richieste.
warning-attachment_edited = L'immagine è stata salvata da un programma di modifica; gli operatori preferiscono screenshot originali.
warning-attachment_repeated = Hai già inviato questo screenshot più volte; i file ripetuti abbassano la priorità della richiesta.
warning-sensitive_data_masked = Numeri di carta e codici nella descrizione sono stati nascosti prima del salvataggio. Non condividerli mai.
warning-possible_scam_report = L'assistenza non chiede mai il codice di verifica né pagamenti. Non pagare e non condividere codici: ti aiuteremo a mettere al sicuro l'account.

error-bad_request = Impossibile leggere la richiesta: { $detail }
error-too_large = La richiesta è troppo grande.
error-rate_limited = Troppe richieste: riprova tra { $seconds } secondi.
error-not_found = Qui non c'è nulla.
error-internal = Si è verificato un errore da parte nostra. Riferimento: { $request_id }
error-forbidden = Non puoi farlo.
error-unavailable = Il servizio è occupato: riprova tra poco.
error-unsupported_media_type = Invia multipart/form-data o application/json.
problem-password_too_short = La password deve avere almeno 12 caratteri.
problem-unknown_placeholder = Questo segnaposto non esiste; una risposta pronta può usare {"{"}customer_name{"}"}, {"{"}case_number{"}"}, {"{"}status_url{"}"}, {"{"}agent_name{"}"} e {"{"}missing_fields{"}"}.
error-unauthorized = Accedi, o invia un token API come "Authorization: Bearer …".

conflict-stale = Il caso è cambiato nel frattempo: ricaricalo e riprova.
conflict-case_status = Non è possibile mentre il caso è { $status }.
conflict-transition = Un caso { $from } non può diventare { $to }.
conflict-merge_instead = Per unire il caso usa "Unisci a" e indica l'altro caso.
conflict-self_merge = Un caso non si può unire a se stesso.
conflict-self_link = Un caso non è collegato a se stesso.
conflict-target_status = L'altro caso è { $status }: non può ricevere un'unione.
conflict-nothing_missing = Il caso ha già tutto ciò che il catalogo richiede.
conflict-category_gone = La categoria "{ $category }" non è più nel catalogo.
conflict-never_urgent = I casi in "{ $category }" non possono essere urgenti.
conflict-agent_cannot_take = Quell'agente non può prendere questo caso.
conflict-unknown_team = Non esiste un team "{ $team }".
conflict-team_taken = Esiste già un team chiamato "{ $team }".
conflict-email_taken = Esiste già un agente con questa e-mail.
conflict-not_a_category = "{ $category }" non è una categoria del catalogo.
conflict-not_a_subcategory = "{ $subcategory }" non è una sottocategoria di "{ $category }".
conflict-no_authenticator_pending = Nessun autenticatore in configurazione: ricomincia dal tuo profilo.
conflict-not_held = Questa risposta non è più in attesa: è già partita, o è stata annullata.
conflict-newer_entry = È arrivato qualcosa di nuovo sul caso mentre scrivevi: leggilo, poi invia di nuovo o modifica.
conflict-canned_taken = Esiste già una risposta pronta chiamata "{ $name }".
conflict-canned_not_here = Questa risposta pronta non è per questo caso: è di un altro team, o è stata eliminata.
problem-webhook_target = Questo indirizzo porta a questo server o alla sua rete privata; le consegne vanno solo verso internet (o verso gli indirizzi che l'amministratore consente in webhook_allow).
conflict-organisation_taken = Un'altra organizzazione ha già questo nome, o uno di questi domini e-mail o numeri di telefono.
conflict-rating_closed = Le risposte su un caso si accettano per 7 giorni dopo la sua risoluzione; questa resta com'era.
