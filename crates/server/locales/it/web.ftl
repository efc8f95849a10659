# Le pagine del cliente: modulo di richiesta, conferma, stato (issue 4). Ogni id esiste in ogni
# lingua; `cargo test` lo verifica.
language-name = Italiano
site-name = Assistenza clienti
skip-to-content = Vai al modulo
language-switch = Lingua

# Il modulo di richiesta
form-title = Chiedi assistenza
form-intro = Raccontaci cosa è successo. I campi con * sono obbligatori; più ci dici, prima possiamo aiutarti.
form-problem-legend = Il problema
form-contact-legend = Come ti contattiamo
form-details-legend = Dettagli che velocizzano la risposta
form-files-legend = Screenshot
form-submit = Invia la richiesta
form-sending = Invio in corso…
form-update = Mostra le domande di questa categoria
form-update-hint = Senza JavaScript: scegli una categoria, poi premi questo pulsante per vedere le sue domande. Quello che hai scritto resta.
form-errors-title = Correggi i campi indicati qui sotto
form-expired = La pagina era scaduta. Controlla quello che hai scritto e invia di nuovo.
form-unreadable = Non è stato possibile leggere tutto il modulo. Controlla quello che hai scritto e invia di nuovo.
form-too-large = I file erano troppo grandi: al massimo 3 screenshot da 5 MB ciascuno. Quello che hai scritto è qui sotto.
form-rate-limited = Troppe richieste dalla tua connessione. Attendi qualche minuto e invia di nuovo: quello che hai scritto resta.
form-unavailable = In questo momento non possiamo accettare richieste. Attendi un minuto e invia di nuovo: quello che hai scritto resta.
choose = Scegli…
required-mark = obbligatorio
recommended = consigliato

field-category = Categoria
field-subcategory = Di preciso?
field-name = Il tuo nome
field-email = E-mail
hint-email = Le nostre risposte arrivano a questo indirizzo.
field-phone = Numero di cellulare
hint-phone = Il numero dell'account, con il prefisso internazionale, es. +39 345 123 4567.
field-country = Paese (due lettere)
hint-country = Serve a leggere un numero scritto senza prefisso internazionale, es. IT.
field-description = Descrizione
hint-description = Cosa hai fatto, cosa ti aspettavi, cosa è successo invece? Almeno 30 caratteri.
field-device = Modello del telefono e sistema
hint-device = es. iPhone 14, iOS 17.1 oppure Galaxy S23, Android 14.
field-urgent = È urgente
hint-urgent = Solo per pagamenti e account rubati o violati. Usarlo impropriamente rallenta le prossime richieste.
field-attachment = Screenshot (fino a 3)
hint-attachment = JPG, PNG o GIF, al massimo 5 MB ciascuno, almeno 720 pixel sul lato corto.
field-message = Il tuo messaggio
hint-message = Una novità, la risposta a una nostra domanda, o cosa hai provato.
live-did-you-mean = Intendevi { $value }?
live-use = Usa questo
use-suggestion = Usa { $value }
email-confirm = L'indirizzo è giusto così come l'ho scritto
phone-reads-as = Letto come { $value }
kept-files = Già allegati

# La conferma
confirm-title = Richiesta ricevuta
confirm-lead = Grazie. Abbiamo ricevuto la tua richiesta.
confirm-merged = Avevi già una richiesta aperta su questo argomento: abbiamo aggiunto il tuo messaggio al caso { $case }.
confirm-merged-sent = Il link per seguire quel caso è stato inviato al suo indirizzo e-mail: cercalo nella posta in arrivo, e nella cartella spam.
confirm-case-label = Il numero del tuo caso
copy = Copia
copied = Copiato
confirm-first-response = Riceverai una prima risposta { $when }.
confirm-email = Ti abbiamo inviato una conferma via e-mail. Conserva il numero del caso: è nell'oggetto.
confirm-missing-title = Per velocizzare la risposta, aggiungi:
confirm-missing-how = Aggiungili nella pagina della tua richiesta, oppure rispondi all'e-mail di conferma.
confirm-status-title = Segui la tua richiesta
confirm-status-link = Apri la pagina della richiesta
confirm-status-hint = Non condividere questo link: chi lo ha può leggere la richiesta. Lo trovi anche nell'e-mail di conferma.
confirm-another = Invia un'altra richiesta

# Orari: "entro lunedì alle 20:00 (Europe/Rome)"
due-by = entro { $when }
due-today = oggi alle { $time }
due-tomorrow = domani alle { $time }
due-weekday = { $day } alle { $time }
due-date = { $day } { $date } alle { $time }
due-zone = ora di { $zone }
due-zone-utc = UTC; il browser non ci ha indicato il suo fuso orario
day-1 = lunedì
day-2 = martedì
day-3 = mercoledì
day-4 = giovedì
day-5 = venerdì
day-6 = sabato
day-7 = domenica
month-1 = gennaio
month-2 = febbraio
month-3 = marzo
month-4 = aprile
month-5 = maggio
month-6 = giugno
month-7 = luglio
month-8 = agosto
month-9 = settembre
month-10 = ottobre
month-11 = novembre
month-12 = dicembre
date-format = { $day } { $month }

# La pagina di stato
status-title = Richiesta { $case }
status-label = Stato
status-new = Ricevuta, in attesa di un operatore
status-needs_info = In attesa del tuo numero di telefono o del dispositivo
status-open = In lavorazione
status-pending_customer = In attesa di una tua risposta
status-resolved = Risolta
status-closed = Chiusa
status-merged = Unita a un'altra tua richiesta
status-first-response = Prima risposta prevista { $when }
status-first-response-done = Prima risposta data { $when }
status-resolution = Soluzione prevista { $when }
status-missing = Manca ancora: aggiungilo qui sotto per velocizzare la risposta.
status-conversation = Conversazione
status-you = Tu
status-support = Assistenza
status-description = La tua richiesta
status-device = Dispositivo
status-add-title = Aggiungi informazioni o screenshot
status-add-submit = Aggiungi alla richiesta
status-added = Grazie: le tue informazioni sono state aggiunte alla richiesta.
status-added-normal = Grazie: con queste informazioni la richiesta è tornata nella coda normale.
status-closed-note = Questa richiesta è chiusa. Per qualcosa di nuovo, invia una nuova richiesta.
status-new-request = Invia una nuova richiesta

# Ogni pagina
scam-warning-title = Attenzione alla finta assistenza
scam-warning = L'assistenza non chiede mai il codice di verifica né pagamenti, e non ha una linea telefonica. Chi lo fa non siamo noi.
not-found-title = Richiesta non trovata
not-found = Non troviamo questa richiesta. Controlla di aver aperto il link completo dell'e-mail di conferma.
error-title = Qualcosa è andato storto
error-title-rate_limited = Troppe richieste
error-title-too_large = Troppo grande da ricevere
error-title-forbidden = Non consentito
error-title-conflict = Non possibile ora
error-page = Si è verificato un errore da parte nostra. Riprova tra poco. Se succede di nuovo, indica questo riferimento: { $request_id }
back-to-form = Torna al modulo
